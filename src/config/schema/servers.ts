// `servers:` is a host list (one implicit `web` role) or a map of roles, each either a host
// list or a map with `hosts` and role settings. Hosts may carry tags: `- 10.0.0.5: tag`.
import { z } from "zod";
import { anyHash, documented, hashOf, int, list, oneOf, section, str, withHint } from "./meta.js";
import type { PathSegment, ValidationContext } from "./meta.js";
import { envSchema } from "./env.js";
import { loggingSchema } from "./logging.js";
import { roleProxySchema } from "./proxy.js";
import { DEFAULT_RESTART_POLICY } from "../defaults.js";
import { isHash } from "../model/values.js";

const tagSchema = str();
const tagListSchema = list(str());

/** Kamal's `validate_servers!`: strings, or one-entry maps from a host to a tag or tag list. */
function validateHostList(value: unknown, path: readonly PathSegment[], context: ValidationContext): void {
  if (!Array.isArray(value)) {
    context.report(path, "should be an array");
    return;
  }
  value.forEach((entry, index) => {
    const entryPath = [...path, index];
    if (isHash(entry)) {
      const hosts = Object.keys(entry);
      if (hosts.length !== 1) {
        context.report(entryPath, "multiple hosts found");
        return;
      }
      const host = hosts[0]!;
      const tags = entry[host];
      if (Array.isArray(tags)) context.check(tags, tagListSchema, [...entryPath, host]);
      else if (tags === null || typeof tags === "object") context.report([...entryPath, host], "should be a string or an array");
      else context.check(tags, tagSchema, [...entryPath, host]);
    } else {
      context.check(entry, withHint(str(), { expected: "a string or a hash" }), entryPath);
    }
  });
}

/** A list of hosts, optionally tagged. */
function hostList() {
  // Hosts and tags are "strings" as Kamal's validator counts them (numbers pass too).
  const schema = z.array(z.union([str(), z.record(z.string(), z.union([str(), z.array(str())]))]));
  return withHint(schema, { expected: "an array", custom: validateHostList });
}

const hostsSchema = documented(hostList(), {
  title: "Hosts",
  description: "The role's hosts. Tag a host with `- host: tag` or `- host: [tag1, tag2]` to give it the tags' env.",
  examples: ["hosts:\n  - 10.0.0.1\n  - 10.0.0.2: experiment\n  - 10.0.0.3: [experiment, canary]"],
});

export const roleSettingsSchema = section({
  hosts: hostsSchema.optional(),
  cmd: documented(str(), {
    title: "Command",
    description: "Runs instead of the image's default command.",
    examples: ['cmd: "bin/jobs"'],
  }).optional(),
  options: documented(anyHash(), {
    title: "Docker options",
    description:
      `Extra \`docker run\` options as \`--key value\` (\`true\` for a bare flag). \`restart\` sets the restart policy (default \`${DEFAULT_RESTART_POLICY}\`).`,
    examples: ["options:\n  memory: 2g\n  cpus: 4"],
  }).optional(),
  logging: loggingSchema.optional(),
  proxy: roleProxySchema.optional(),
  labels: documented(hashOf(str()), {
    title: "Labels",
    description: "Docker labels for this role's containers, added to the root labels.",
    examples: ["labels:\n  my-label: workers"],
  }).optional(),
  env: documented(envSchema.optional(), {
    title: "Environment variables",
    description: "Merged over the root env for this role (tags are only allowed in the root env).",
    examples: ["env:\n  clear:\n    QUEUES: default,mailers"],
  }),
  asset_path: documented(str(), {
    title: "Asset path",
    description: "Overrides the root `asset_path` for this role.",
    examples: ["asset_path: /rails/public/assets"],
  }).optional(),
  stop_timeout: documented(int(), {
    title: "Stop timeout",
    description: "Seconds `docker stop` waits for this role's old containers; overrides the root `stop_timeout`.",
    examples: ["stop_timeout: 60"],
  }).optional(),
});

export const roleSchema = documented(oneOf([hostList(), roleSettingsSchema]), {
  title: "Role",
  description: "A host list, or a map with `hosts` and settings for the role.",
  section: "role",
});

export const serversSchema = documented(
  withHint(oneOf([hostList(), hashOf(roleSchema)]), { expected: "an array or a hash" }),
  {
    title: "Servers",
    description: "The hosts to deploy to: a list (one `web` role) or roles with their hosts.",
    section: "servers",
  },
  { id: "servers" },
);

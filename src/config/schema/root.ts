// The whole deploy.yml: root keys in the order Kamal documents them.
import { z } from "zod";
import { accessoriesSchema } from "./accessory.js";
import { aliasesSchema } from "./alias.js";
import { berthSchema } from "./berth.js";
import { bootSchema } from "./boot.js";
import { builderSchema } from "./builder.js";
import { rootEnvSchema } from "./env.js";
import { loggingSchema } from "./logging.js";
import { bool, documented, hashOf, int, list, oneOf, str, withHint } from "./meta.js";
import { outputSchema } from "./output.js";
import { proxySchema } from "./proxy.js";
import { registrySchema } from "./registry.js";
import { serversSchema } from "./servers.js";
import { sshSchema } from "./ssh.js";
import { sshkitSchema } from "./sshkit.js";
import {
  DEFAULT_DEPLOY_TIMEOUT,
  DEFAULT_DRAIN_TIMEOUT,
  DEFAULT_HOOKS_PATH,
  DEFAULT_PRIMARY_ROLE,
  DEFAULT_READINESS_DELAY,
  DEFAULT_RETAIN_CONTAINERS,
  DEFAULT_SECRETS_PATH,
} from "../defaults.js";

const rootShape = {
  service: withHint(
    documented(str(), {
      title: "Service",
      description: "The app's name: prefix of container names and the `service` label. Letters, digits, `-` and `_` only.",
      examples: ["service: myapp"],
    }),
    { missing: { message: "is required" } },
  ),
  image: documented(str(), {
    title: "Image",
    description: "The image name, pushed to the registry (defaults to the service name with a local registry).",
    examples: ["image: my-user/myapp"],
  }).optional(),
  labels: documented(hashOf(str()), {
    title: "Labels",
    description: "Docker labels added to every app container; `service`, `role` and `destination` are reserved.",
    examples: ["labels:\n  my-label: my-value"],
  }).optional(),
  volumes: documented(list(str()), {
    title: "Volumes",
    description: "Mounted into every app container with `--volume`.",
    examples: ["volumes:\n  - /path/on/host:/path/in/container:ro"],
  }).optional(),
  registry: registrySchema,
  servers: serversSchema.optional(),
  env: rootEnvSchema.optional(),
  asset_path: documented(str(), {
    title: "Asset path",
    description:
      "A path inside the image whose files are kept across deploys, so requests for old and new fingerprinted assets both succeed. Mount options may follow a colon (`:ro`, `:z`). Proxied roles only.",
    examples: ["asset_path: /rails/public/assets"],
  }).optional(),
  hooks_path: documented(str(), {
    title: "Hooks path",
    description: "Directory of hook scripts (pre-deploy, post-deploy, …) run on this machine.",
    examples: ["hooks_path: bin/hooks"],
    default: DEFAULT_HOOKS_PATH,
  }).optional(),
  hooks_output: documented(withHint(oneOf([str(), hashOf(str())]), { expected: "a string or a hash" }), {
    title: "Hook output",
    description:
      "Show (`verbose`) or hide (`quiet`) hook output, for all hooks or per hook. Without it hook output follows `-v`/`-q`; a failing hook always shows its output.",
    examples: ["hooks_output: verbose", "hooks_output:\n  pre-deploy: verbose\n  pre-build: quiet"],
  }).optional(),
  secrets_path: documented(str(), {
    title: "Secrets path",
    description: "Secrets are read from `<secrets_path>-common`, then `<secrets_path>` (or `<secrets_path>.<destination>`).",
    examples: ["secrets_path: config/secrets"],
    default: DEFAULT_SECRETS_PATH,
  }).optional(),
  error_pages_path: documented(str(), {
    title: "Error pages",
    description: "A local directory of `4xx.html`/`5xx.html` pages the proxy serves for this app.",
    examples: ["error_pages_path: public"],
  }).optional(),
  require_destination: documented(bool(), {
    title: "Require destination",
    description: "Refuse to run without `-d`.",
    examples: ["require_destination: true"],
    default: false,
  }).optional(),
  primary_role: documented(str(), {
    title: "Primary role",
    description: "The role that is proxied by default, boots first and gives the primary host.",
    examples: ["primary_role: workers"],
    default: DEFAULT_PRIMARY_ROLE,
  }).optional(),
  allow_empty_roles: documented(bool(), {
    title: "Allow empty roles",
    description: "Accept roles without hosts (e.g. when a destination has none).",
    examples: ["allow_empty_roles: true"],
    default: false,
  }).optional(),
  retain_containers: documented(int(), {
    title: "Retained containers",
    description: "How many old containers (and their images) pruning keeps; at least 1.",
    examples: ["retain_containers: 3"],
    default: DEFAULT_RETAIN_CONTAINERS,
  }).optional(),
  minimum_version: documented(str(), {
    title: "Minimum version",
    description: "Refuse to run with an older Kamal-compatible version than this.",
    examples: ["minimum_version: 2.5.0"],
  }).optional(),
  readiness_delay: documented(int(), {
    title: "Readiness delay",
    description: "Seconds a container without proxy or healthcheck must stay running before it counts as booted.",
    examples: ["readiness_delay: 4"],
    default: DEFAULT_READINESS_DELAY,
  }).optional(),
  deploy_timeout: documented(int(), {
    title: "Deploy timeout",
    description: "Seconds a new container has to become healthy.",
    examples: ["deploy_timeout: 60"],
    default: DEFAULT_DEPLOY_TIMEOUT,
  }).optional(),
  drain_timeout: documented(int(), {
    title: "Drain timeout",
    description: "Seconds in-flight requests get to finish before an old container is stopped.",
    examples: ["drain_timeout: 10"],
    default: DEFAULT_DRAIN_TIMEOUT,
  }).optional(),
  stop_timeout: documented(int(), {
    title: "Stop timeout",
    description: "Seconds `docker stop` waits; defaults to the drain timeout for roles without a proxy and Docker's 10 s otherwise.",
    examples: ["stop_timeout: 60"],
  }).optional(),
  run_directory: documented(str(), {
    title: "Run directory",
    description: "Accepted for compatibility and ignored: runtime files always live in `.kamal` in the SSH user's home.",
    examples: ["run_directory: .kamal"],
  }).optional(),
  ssh: sshSchema.optional(),
  builder: builderSchema,
  accessories: accessoriesSchema.optional(),
  proxy: proxySchema.optional(),
  sshkit: sshkitSchema.optional(),
  boot: bootSchema.optional(),
  logging: loggingSchema.optional(),
  output: outputSchema.optional(),
  aliases: aliasesSchema.optional(),
  "x-berth": berthSchema.optional(),
};

// `x-` keys are allowed at the root (for YAML anchors), so zod passes unknown root keys through;
// the validator and the JSON Schema reject every unknown key that doesn't start with `x-`.
// (A zod refinement would do it too, but makes z.toJSONSchema extract every root key to $defs.)
const rootObject = z.looseObject(rootShape);

export const deploySchema = documented(
  withHint(rootObject, { allowExtensions: true, expected: "a hash" }),
  {
    title: "Berth configuration (Kamal 2 deploy.yml)",
    description:
      "Read from `config/deploy.yml`; with `-d NAME`, `config/deploy.NAME.yml` is merged over it (maps merge, everything else is replaced). ERB tags are rendered first. Other keys starting with `x-` are ignored at the root, for YAML anchors; `x-berth` holds Berth's own settings.",
    section: "configuration",
  },
);

export type DeployConfig = z.output<typeof deploySchema>;

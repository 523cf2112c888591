// `env:` is either a flat map of clear values, or `clear`/`secret` (and at the root `tags`).
// Kamal decides which by looking for those keys, so the check is its own rather than a union.
import { z } from "zod";
import { documented, hashOf, list, section, str, withHint } from "./meta.js";
import type { PathSegment, ValidationContext } from "./meta.js";
import { isHash } from "../model/values.js";
import { suggestKey } from "../errors.js";

const SPECIAL_KEYS = ["clear", "secret", "tags"] as const;

const clearSchema = documented(hashOf(str()), {
  title: "Clear values",
  description: "Variables passed to the container with `--env`; `${VAR}` is expanded on the host.",
  examples: ["clear:\n  DB_USER: app\n  DB_HOST: db.internal"],
}, { id: "envClear" });

const secretSchema = documented(list(str()), {
  title: "Secrets",
  description:
    "Names looked up in `.kamal/secrets` and written to an env file (mode 0600) on the host. `NAME:SECRET` sets NAME from a secret with another name.",
  examples: ["secret:\n  - DB_PASSWORD\n  - API_TOKEN:PRODUCTION_API_TOKEN"],
}, { id: "envSecret" });

function validateEnv(value: unknown, path: readonly PathSegment[], context: ValidationContext, allowTags: boolean): void {
  if (!isHash(value)) {
    context.report(path, "should be a hash");
    return;
  }
  const keys = Object.keys(value);
  const structured = keys.some((key) => (SPECIAL_KEYS as readonly string[]).includes(key));
  if (!structured) {
    for (const key of keys) {
      // `secrets:`/`clears:` with a list: a misspelt section rather than a variable.
      const item = value[key];
      const suggestion = typeof item === "object" && item !== null ? suggestKey(key, SPECIAL_KEYS) : undefined;
      if (suggestion === undefined) context.check(item, str(), [...path, key]);
      else context.report([...path, key], "should be a string", { suggestion });
    }
    return;
  }
  for (const key of keys) {
    if (!(SPECIAL_KEYS as readonly string[]).includes(key)) {
      context.report(path, `unknown key: ${key}`, { at: "key", locate: [...path, key] });
    }
  }
  if ("clear" in value) context.check(value.clear, clearSchema, [...path, "clear"]);
  if ("secret" in value) context.check(value.secret, secretSchema, [...path, "secret"]);
  if ("tags" in value) {
    if (!allowTags) {
      context.report(path, "tags are only allowed in the root env", { at: "key", locate: [...path, "tags"] });
      return;
    }
    const tags = value.tags;
    if (!isHash(tags)) {
      context.report([...path, "tags"], "should be a hash");
      return;
    }
    for (const [tag, tagEnv] of Object.entries(tags)) validateEnv(tagEnv, [...path, "tags", tag], context, false);
  }
}

// A fresh optional wrapper per use, so the JSON Schema refers to the shared definitions directly.
const envShape = () => ({
  clear: clearSchema.optional(),
  secret: secretSchema.optional(),
});

/** Env without tags: roles, accessories and tag entries. */
export const envSchema = documented(
  withHint(z.union([section(envShape()), hashOf(str())]), {
    custom: (value, path, context) => validateEnv(value, path, context, false),
  }),
  {
    title: "Environment variables",
    description:
      "A flat map sets clear values. With `clear` and `secret` keys, secret values are read from `.kamal/secrets` and never shown.",
    section: "env",
  },
  { id: "env" },
);

const tagsSchema = documented(hashOf(envSchema), {
  title: "Tags",
  description:
    "Extra env for hosts carrying a tag (`- 10.0.0.5: tag` in servers). A tagged host gets root env, then role env, then its tags' env.",
  examples: ["tags:\n  monitoring:\n    DATADOG: \"true\"\n  replica:\n    clear:\n      DB_HOST: replica.internal"],
});

/** The root env, where tags are allowed. */
export const rootEnvSchema = documented(
  withHint(z.union([section({ ...envShape(), tags: tagsSchema.optional() }), hashOf(str())]), {
    custom: (value, path, context) => validateEnv(value, path, context, true),
  }),
  {
    title: "Environment variables",
    description:
      "Environment for every app container; roles and host tags can add to it.",
    section: "env",
  },
  { id: "rootEnv" },
);

/** The keys documented by `berth docs env`, in order. */
export const envDocumentationShape = { ...envShape(), tags: tagsSchema.optional() };

// `registry:` where images are pushed and pulled; also per accessory.
import { z } from "zod";
import { documented, section, str, withHint } from "./meta.js";
import type { PathSegment, ValidationContext } from "./meta.js";

const CREDENTIAL_MESSAGE = "should be a string or an array with one string (for secret lookup)";

function validateCredential(value: unknown, path: readonly PathSegment[], context: ValidationContext): void {
  const isScalar = typeof value === "string" || typeof value === "number" || typeof value === "boolean";
  const isSecretReference = Array.isArray(value) && value.length === 1 && typeof value[0] === "string";
  if (!isScalar && !isSecretReference) context.report(path, CREDENTIAL_MESSAGE);
}

/** A literal value, or `[SECRET_NAME]` to look it up in `.kamal/secrets`. */
function credential(): z.ZodUnion<[z.ZodString, z.ZodNumber, z.ZodBoolean, z.ZodTuple<[z.ZodString], null>]> {
  return withHint(z.union([z.string(), z.number(), z.boolean(), z.tuple([z.string()])]), { custom: validateCredential });
}

export const registrySchema = documented(
  section({
    server: documented(str(), {
      title: "Server",
      description:
        "The registry host (Docker Hub when unset). `localhost:PORT` needs no registry: Berth serves the image from this machine's Docker to each host over its SSH connection, where the host pulls it from `localhost:PORT`.",
      examples: ["server: ghcr.io", "server: localhost:5555"],
    }).optional(),
    username: documented(credential(), {
      title: "Username",
      description: "A literal value, or `[SECRET_NAME]` to read it from `.kamal/secrets`. Required unless the registry is local.",
      examples: ["username: my-user", "username:\n  - REGISTRY_USER"],
    }).optional(),
    password: documented(credential(), {
      title: "Password",
      description: "Usually `[SECRET_NAME]` so the password stays in `.kamal/secrets`. Required unless the registry is local.",
      examples: ["password:\n  - KAMAL_REGISTRY_PASSWORD"],
    }).optional(),
  }),
  {
    title: "Registry",
    description:
      "The registry images are pushed to and pulled from. Credentials can be literal values or secret names in a one-element list.",
    section: "registry",
  },
  { id: "registry" },
);

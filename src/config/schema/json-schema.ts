// The JSON Schema of deploy.yml, generated from the same zod schema that validates it, for
// editors (`# yaml-language-server: $schema=…`) and `berth schema`.
import { z } from "zod";
import { jsonSchemaRegistry } from "./meta.js";
import { deploySchema } from "./root.js";

type JsonObject = Record<string, unknown>;

const SAFE_INTEGER_BOUNDS = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];

/** Drops zod's safe-integer bounds, which only add noise for editors. */
function tidy(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(tidy);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const object = node as JsonObject;
  if (object.type === "integer" && SAFE_INTEGER_BOUNDS.includes(object.minimum as number) && SAFE_INTEGER_BOUNDS.includes(object.maximum as number)) {
    delete object.minimum;
    delete object.maximum;
  }
  Object.values(object).forEach(tidy);
}

/** The JSON Schema (draft 2020-12) for config/deploy.yml. */
export function jsonSchema(): JsonObject {
  const schema = z.toJSONSchema(deploySchema, {
    target: "draft-2020-12",
    metadata: jsonSchemaRegistry,
    reused: "ref",
    io: "input",
    unrepresentable: "any",
  }) as JsonObject;
  tidy(schema);
  // `x-` keys are allowed at the root only (for YAML anchors).
  schema.patternProperties = { "^x-": {} };
  return {
    $schema: schema.$schema,
    title: "Berth / Kamal 2 deploy.yml",
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "$schema")),
  };
}

/** The schema file's text, as committed in `schema/deploy.schema.json`. */
export function jsonSchemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

// The JSON Schema of deploy.yml, generated from the same zod schema that validates it, for
// editors (`# yaml-language-server: $schema=…`) and `berth schema`.
import { parse } from "yaml";
import { z } from "zod";
import { jsonSchemaRegistry, ownDocumentationOf } from "./meta.js";
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

/** The value of a documented `key: value` YAML example. */
function exampleValue(snippet: string): unknown {
  const parsed = parse(snippet, { version: "1.1" }) as unknown;
  const values = typeof parsed === "object" && parsed !== null ? Object.values(parsed) : [];
  return values.length === 1 ? values[0] : parsed;
}

/** The JSON Schema (draft 2020-12) for config/deploy.yml. */
export function jsonSchema(): JsonObject {
  const schema = z.toJSONSchema(deploySchema, {
    target: "draft-2020-12",
    metadata: jsonSchemaRegistry,
    reused: "ref",
    io: "input",
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema: node }) => {
      const examples = ownDocumentationOf(zodSchema as unknown as z.ZodType)?.examples;
      if (examples) (node as JsonObject).examples = examples.map(exampleValue);
    },
  }) as JsonObject;
  tidy(schema);
  // `x-` keys are allowed at the root only (for YAML anchors).
  schema.patternProperties = { "^x-": {} };
  schema.additionalProperties = false;
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

// `berth config`: the resolved configuration as Kamal prints it (`config.to_h.to_yaml`), with
// secret values redacted; `--output json` prints the same document as one line of JSON.

import { Redacted } from "../../commands/cmd.js";
import type { CommandContext } from "../context.js";
import type { NoOptions } from "./not-implemented.js";

export async function config(context: CommandContext, _options: NoOptions): Promise<void> {
  const configuration = await context.config();
  const document = plainDocument(configuration.toKamalDocument());
  if (context.output.format === "json") return context.output.data("", document);
  const { stringify } = await import("yaml");
  // Ruby's to_yaml: a `---` start line and sequences not indented under their key.
  context.output.data(stringify(document, { directives: true, indentSeq: false }), document);
}

/** Plain data for YAML and JSON: Redacted values become `[REDACTED]`, Maps become objects. */
export function plainDocument(value: unknown): unknown {
  if (value instanceof Redacted) return value.shown;
  if (Array.isArray(value)) return value.map(plainDocument);
  if (value instanceof Map) return plainDocument(Object.fromEntries(value));
  if (value instanceof Set) return [...value].map(plainDocument);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => [key, plainDocument(item)]),
    );
  }
  return value;
}

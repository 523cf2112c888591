// `berth config`: the resolved configuration as Kamal prints it (`config.to_h.to_yaml`), with
// secret values redacted; `--output json` prints the same document as one line of JSON. The
// document itself is the configuration layer's (Configuration#toKamalDocument/toYaml).

import { Redacted } from "../../core/cmd.js";
import type { CommandContext } from "../../core/context.js";
import { RubySymbol } from "../../config/model/values.js";
import type { NoOptions } from "./no-options.js";

export async function config(context: CommandContext, _options: NoOptions): Promise<void> {
  const configuration = await context.config();
  if (context.output.format === "json") return context.output.data("", plainDocument(configuration.toKamalDocument()));
  // Kamal's `config.to_h.to_yaml`, with Ruby's symbol keys, as the configuration layer renders it.
  context.output.data(configuration.toYaml(), undefined);
}

/** Plain data for YAML and JSON: Redacted values become `[REDACTED]`, Maps become objects. */
function plainDocument(value: unknown): unknown {
  if (value instanceof Redacted) return value.shown;
  if (value instanceof RubySymbol) return value.name;
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

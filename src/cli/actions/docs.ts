// `berth docs [SECTION]` and `berth schema`: documentation and JSON Schema of the configuration,
// both owned by the configuration layer; no config file is needed.

import type { CommandContext } from "../context.js";
import { configModule } from "../layers/config.js";
import type { NoOptions } from "./not-implemented.js";

export async function docs(context: CommandContext, section: string | undefined, _options: NoOptions): Promise<void> {
  const text = (await configModule()).docs(section);
  // Kamal prints this on stdout and succeeds; kept for scripts that rely on it.
  if (text === undefined) return context.output.print(`No documentation found for ${section}`);
  context.output.data(text, { section: section ?? null, documentation: text });
}

export async function schema(context: CommandContext, _options: NoOptions): Promise<void> {
  const jsonSchema = (await configModule()).jsonSchema();
  context.output.data(JSON.stringify(jsonSchema, null, 2), jsonSchema);
}

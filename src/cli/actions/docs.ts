// `berth docs [SECTION]` and `berth schema`: documentation and JSON Schema of the configuration,
// both owned by the configuration layer; no config file is needed.

import type { CommandContext } from "../../core/context.js";
import { configModule } from "../layers/config.js";
import type { NoOptions } from "./no-options.js";

export async function docs(context: CommandContext, section: string | undefined, _options: NoOptions): Promise<void> {
  // An unknown section is a BerthError naming the sections there are (Kamal only prints
  // "No documentation found for X").
  const text = (await configModule()).docs(section);
  context.output.data(text, { section: section ?? null, documentation: text });
}

export async function schema(context: CommandContext, _options: NoOptions): Promise<void> {
  const jsonSchema = (await configModule()).jsonSchema();
  context.output.data(JSON.stringify(jsonSchema, null, 2), jsonSchema);
}

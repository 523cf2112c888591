import { BERTH_VERSION } from "../../version.js";
import type { CommandContext } from "../../core/context.js";
import type { NoOptions } from "./no-options.js";

/** `berth version`: Berth's own version (the global `--version VER` is the app version). */
export async function version(context: CommandContext, _options: NoOptions): Promise<void> {
  context.output.data(BERTH_VERSION, { version: BERTH_VERSION });
}

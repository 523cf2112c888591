import { BerthError } from "../../util/errors.js";

/** The placeholder of every server-side action until the orchestration fills it in. */
export function notImplemented(commandLine: string): never {
  throw new BerthError(`berth ${commandLine} is not implemented yet`, "Berth::NotImplemented");
}

/** The options of a command that has none of its own (the global ones are in the context). */
export type NoOptions = Readonly<Record<string, never>>;

// The CommandContext (src/core/context.ts) each action receives, made here: configuration and
// secrets are loaded on first use, once, so `berth version` never touches them.

import type { CommandContext, GlobalOptions } from "../core/context.js";
import type { Output } from "../output/index.js";
import { BerthError } from "../util/errors.js";
import type { CleanupRegistry } from "./cleanup.js";
import type { Configuration } from "./layers/config.js";

export interface ContextInputs {
  readonly globals: GlobalOptions;
  readonly output: Output;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly commandPath: readonly string[];
  readonly cleanup: CleanupRegistry;
  /** Loads the configuration for these options (cached by the caller). */
  readonly loadConfiguration: (globals: GlobalOptions) => Promise<Configuration>;
  readonly signal?: AbortSignal;
}

export function createContext(inputs: ContextInputs): CommandContext {
  const { globals, output, cwd, env } = inputs;
  const config = once(() => inputs.loadConfiguration(globals));
  const secrets = once(async () => {
    const lookup = (await config()).secrets;
    if (lookup === undefined) throw new BerthError("The configuration provides no secrets", "Berth::Error");
    await lookup.preload?.(inputs.signal);
    output.registerSecrets(Object.values(lookup.all()));
    return lookup;
  });
  return {
    globals,
    output,
    cwd,
    env,
    command: inputs.commandPath[0] ?? "",
    subcommand: inputs.commandPath[1],
    ...(inputs.signal ? { signal: inputs.signal } : {}),
    onExit: (handler) => inputs.cleanup.onExit(handler),
    interrupted: inputs.cleanup.interrupted,
    windDownOnSignals: () => inputs.cleanup.windDownOnSignals(),
    config,
    secrets,
  };
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= make());
}

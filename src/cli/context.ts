// What every command action receives: the parsed global options, the output, and lazily loaded
// configuration and secrets (loaded on first use, once, so `berth version` never touches them).

import type { Output } from "../output/index.js";
import type { SecretsLookup } from "../secrets/types.js";
import { BerthError } from "../util/errors.js";
import type { CleanupRegistry } from "./cleanup.js";
import type { GlobalOptions } from "./globals.js";
import type { Configuration } from "./layers/config.js";

export interface CommandContext {
  readonly globals: GlobalOptions;
  readonly output: Output;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The top-level command as Kamal names it for hooks and audit lines: `deploy`, `app`, … */
  readonly command: string;
  /** The subcommand under a group (`boot` in `berth app boot`), else undefined. */
  readonly subcommand: string | undefined;
  /** Aborted by Ctrl-C and SIGTERM (set by the executable; absent in tests). */
  readonly signal?: AbortSignal;
  /** Registers cleanup that runs however the command ends (including Ctrl-C). */
  onExit(handler: () => void | Promise<void>): () => void;
  /** Aborted (reason: an InterruptedError naming the signal) when Ctrl-C or SIGTERM asks the command to stop. */
  readonly interrupted: AbortSignal;
  /**
   * Declares that the command stops by itself when interrupted (see CleanupRegistry); returns
   * the undo.
   */
  windDownOnSignals(): () => void;
  /** The configuration for -c/-d/--version, loaded on first call. */
  config(): Promise<Configuration>;
  /**
   * The secrets, loaded on first call. Every value is registered with the output's masker, so
   * call this before running anything that could print a secret.
   */
  secrets(): Promise<SecretsLookup>;
}

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

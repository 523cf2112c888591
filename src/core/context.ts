// What every command's work receives from the CLI: the global options, the output, and the
// configuration and secrets, loaded on first use. The CLI makes it (src/cli/context.ts); the
// layers below only read it, so none of them imports the CLI.
import type { Configuration } from "../config/index.js";
import type { Output, OutputFormat } from "../output/index.js";
import type { SecretsLookup } from "../secrets/types.js";

export interface GlobalOptions {
  /** `-c`: path of the main config file, default `config/deploy.yml`. */
  readonly configFile: string;
  /** `-d`: destination; also merges `config/deploy.<dest>.yml`. */
  readonly destination: string | undefined;
  readonly verbose: boolean;
  readonly quiet: boolean;
  /** `--version VER`: run against that app version (not Berth's version: see `berth version`). */
  readonly version: string | undefined;
  readonly primary: boolean;
  /** `-h a,b`: host patterns (`*` wildcards), split on commas. */
  readonly hosts: readonly string[] | undefined;
  /** `-r a,b`: role patterns (`*` wildcards), split on commas. */
  readonly roles: readonly string[] | undefined;
  readonly skipHooks: boolean;
  readonly lockWait: boolean;
  /** Seconds. */
  readonly lockWaitTimeout: number;
  /** Seconds. */
  readonly lockWaitInterval: number;
  readonly output: OutputFormat;
}

export const DEFAULT_GLOBAL_OPTIONS: GlobalOptions = {
  configFile: "config/deploy.yml",
  destination: undefined,
  verbose: false,
  quiet: false,
  version: undefined,
  primary: false,
  hosts: undefined,
  roles: undefined,
  skipHooks: false,
  lockWait: false,
  lockWaitTimeout: 900,
  lockWaitInterval: 15,
  output: "text",
};

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

// Hooks: executables in `<hooks_path>/<name>` run on this machine with Kamal's KAMAL_* environment
// (secrets only for pre-connect, pre-deploy and post-deploy). `-H` skips them; a missing hook is
// no hook. A failing hook aborts with `Hook \`name\` failed:` and its output; the caller's cleanup
// (lock release, SSH close) still runs.
import { accessSync, constants } from "node:fs";
import { isAbsolute, join } from "node:path";
import { hook as hookCommands, type TagContext } from "../commands/index.js";
import type { Configuration, Selection } from "../config/index.js";
import type { Cmd } from "../core/cmd.js";
import type { GlobalOptions } from "../core/context.js";
import type { Level, Output, SayColor } from "../output/index.js";
import type { SecretsLookup } from "../secrets/types.js";
import { CommandFailedError, type RunResult } from "../transport/index.js";
import { BerthError } from "../util/errors.js";

/** What a hook needs of the run (an interface: the run runs `pre-connect` itself, so this module can't import it). */
export interface HookRun {
  readonly config: Configuration;
  readonly globals: GlobalOptions;
  readonly selection: Selection;
  readonly cwd: string;
  readonly output: Output;
  readonly holdingLock: boolean;
  readonly command: string;
  readonly subcommand: string | undefined;
  tags(): Promise<TagContext>;
  secrets(): Promise<SecretsLookup>;
  say(message: string, color?: SayColor): void;
  local(command: Cmd, options?: { readonly env?: Readonly<Record<string, string>>; readonly level?: Level }): Promise<RunResult>;
}

export interface HookOptions {
  /** Hosts for KAMAL_HOSTS (default: the run's hosts). */
  readonly hosts?: readonly string[];
  /** Pass every secret in the environment (pre-connect, pre-deploy, post-deploy). */
  readonly secrets?: boolean;
  /** Seconds the deploy took (post-deploy's KAMAL_RUNTIME). */
  readonly runtime?: number | string;
}

export class HookError extends BerthError {
  constructor(message: string) {
    super(message, "Kamal::Cli::HookError");
  }
}

/** The hook's path, or undefined when there is no executable file there. */
export function hookFile(run: Pick<HookRun, "config" | "cwd">, name: string): string | undefined {
  const relative = hookCommands.hookPath(run.config, name);
  const path = isAbsolute(relative) ? relative : join(run.cwd, relative);
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

export async function runHook(run: HookRun, name: string, options: HookOptions = {}): Promise<void> {
  if (run.globals.skipHooks) return;
  if (hookFile(run, name) === undefined) return;

  const env = hookCommands.env(run.config, await run.tags(), {
    hosts: options.hosts ?? run.selection.hosts,
    ...(run.globals.roles === undefined ? {} : { roles: run.selection.roles.map((role) => role.name) }),
    lock: run.holdingLock,
    command: run.command,
    ...(run.subcommand === undefined ? {} : { subcommand: run.subcommand }),
    ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
    ...(options.secrets ? { secrets: (await run.secrets()).all() } : {}),
  });

  const command = hookCommands.run(run.config, name);
  const visibility = hookOutput(run, name);
  run.say(`Running the ${name} hook...`);
  try {
    const result = await run.local(command, { env, level: visibility === "quiet" ? "debug" : "info" });
    // -v already shows every output line; `hooks_output: verbose` shows the hook's without -v.
    if (visibility === "verbose" && !run.output.shows("debug") && result.stdout.trim() !== "") {
      run.output.print(result.stdout.replace(/\n$/, ""));
    }
  } catch (error) {
    if (error instanceof CommandFailedError) throw new HookError(`Hook \`${name}\` failed:\n${error.message}`);
    throw error;
  }
}

/** `-q`/`-v` win; otherwise `hooks_output` for the hook (or all hooks); otherwise the default lines. */
function hookOutput(run: HookRun, name: string): "quiet" | "verbose" | "default" {
  if (run.globals.quiet) return "quiet";
  if (run.globals.verbose) return "verbose";
  return run.config.hooksOutputFor(name) ?? "default";
}

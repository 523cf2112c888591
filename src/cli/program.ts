// The whole `berth` command tree: Kamal 2's commands, subcommands, arguments and options, plus
// Berth's own (`schema`, `doctor`, `deploy --plan`, `--output`). Building it imports no action:
// each action's module is loaded when its command runs.

import { Command } from "commander";
import { actionLoaderOf, type ActionLoader } from "./define.js";
import { addGlobalOptions, isGlobalOption } from "./globals.js";
import { registerAccessoryCommands } from "./tree/accessory.js";
import { registerAppCommands } from "./tree/app.js";
import { registerBuildCommands } from "./tree/build.js";
import { registerDemoCommand } from "./tree/demo.js";
import { registerMainCommands } from "./tree/main.js";
import {
  registerLockCommands,
  registerPruneCommands,
  registerRegistryCommands,
  registerSecretsCommands,
  registerServerCommands,
} from "./tree/others.js";
import { registerProxyCommands } from "./tree/proxy.js";

/** Runs one command: builds its context from `command`'s options and calls the loaded action. */
export type ActionRunner = (command: Command, args: readonly unknown[], load: ActionLoader) => Promise<void>;

export interface ProgramIO {
  writeOut(text: string): void;
  writeErr(text: string): void;
  /** How commander's own errors (unknown command, missing argument) are written. */
  outputError?(text: string, write: (text: string) => void): void;
}

/** Takes no options, global ones included. */
const HELP_COMMAND = "help";

export interface BuildOptions {
  /**
   * "all" (default): every command gets the global options now, as tests and docs read the tree.
   * "on-use": only the commands parsing reaches get them (see withGlobalOptions), which is what
   * `berth` itself does: some 1,600 option objects fewer at every start.
   */
  readonly globalOptions?: "all" | "on-use";
}

export function buildProgram(io: ProgramIO, runner: ActionRunner, options: BuildOptions = {}): Command {
  const program = new Command("berth");
  program
    .description("Deploy web apps anywhere, with Kamal 2's files and commands")
    .usage("[options] <command> [arguments]")
    // -h is --hosts, as in Kamal; help is --help or `berth help [command]`.
    .helpOption("--help", "Show help")
    .helpCommand(false)
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr, ...(io.outputError ? { outputError: io.outputError } : {}) });
  registerMainCommands(program);
  registerDemoCommand(program);
  registerAppCommands(program);
  registerAccessoryCommands(program);
  registerBuildCommands(program);
  registerProxyCommands(program);
  registerPruneCommands(program);
  registerRegistryCommands(program);
  registerSecretsCommands(program);
  registerServerCommands(program);
  registerLockCommands(program);
  if (options.globalOptions === "on-use") {
    withGlobalOptions(program);
    for (const command of allCommands(program)) {
      // Before a command parses its arguments, its parent hands it the global options; a help
      // text shows them, and lists the subcommands as having options.
      if (command.commands.length > 0) command.hook("preSubcommand", (_parent, sub) => void withGlobalOptions(sub));
      command.on("beforeHelp", () => [command, ...command.commands].forEach(withGlobalOptions));
    }
  } else {
    for (const command of allCommands(program)) withGlobalOptions(command);
  }
  for (const command of allCommands(program)) if (command.commands.length > 0) addHelpCommand(command);

  for (const command of allCommands(program)) {
    const load = actionLoaderOf(command);
    if (load === undefined) continue;
    command.action(async (...params: unknown[]) => {
      // Commander passes the arguments, then the options object, then the command.
      await runner(command, params.slice(0, -2), load);
    });
  }
  return program;
}

/**
 * `berth help [command...]` (and `berth app help [command]`, as Thor has): the help of any
 * command, however deep (`berth help app exec`).
 */
function addHelpCommand(parent: Command): void {
  parent
    .command(`${HELP_COMMAND} [command...]`)
    .description("Describe available commands or one specific command")
    .action((names: string[]) => {
      let target: Command = parent;
      for (const name of names) {
        const next = target.commands.find((command) => command.name() === name || command.aliases().includes(name));
        if (next === undefined) return parent.error(`error: unknown command '${names.join(" ")}'`, { exitCode: 1 });
        target = next;
      }
      target.outputHelp();
    });
}

/**
 * Adds the global options to a command once (added last, so `--help` lists a command's own
 * options first). `build push|dev` keep their own --output (buildx's export type), which also
 * accepts text|json.
 */
export function withGlobalOptions(command: Command): Command {
  if (command.name() === HELP_COMMAND || command.options.some(isGlobalOption)) return command;
  const ownOutput = command.options.some((option) => option.long === "--output");
  return addGlobalOptions(command, { withOutput: !ownOutput, helpGroup: command.parent === null ? undefined : "Global options:" });
}

export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((command) => allCommands(command))];
}

/** The path of names from the program down to `command`, without the program: `["app", "boot"]`. */
export function commandPath(command: Command): string[] {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names;
}

/** Every long option name in the tree (for `--skip_push` → `--skip-push`). */
export function longOptionNames(root: Command): Set<string> {
  const names = new Set<string>();
  for (const command of allCommands(root)) {
    for (const option of command.options) if (option.long !== undefined) names.add(option.long);
  }
  return names;
}

/** Flags of Thor-style hash options (`-e KEY:VALUE …`). */
export const HASH_OPTION_FLAGS: ReadonlySet<string> = new Set(["-e", "--env"]);

// The `berth` entry function: argv in, exit code out. It expands config aliases, parses with
// commander, runs the action with its context, runs cleanup handlers, and prints failures the way
// Kamal's bin/kamal does. Everything it touches comes in through `CliIO`, so tests call it
// in-process.

import { existsSync } from "node:fs";
import { constants } from "node:os";
import { resolve } from "node:path";
import { CommanderError, type Command } from "commander";
import { colorEnabled } from "../output/colors.js";
import { Output, createOutput, type OutputFormat, type OutputStream } from "../output/index.js";
import { shellSplit } from "../core/shellwords.js";
import { BerthError } from "../util/errors.js";
import { BERTH_VERSION } from "../version.js";
import { endsWithValueFlag, expandHashOptions, findCommandWord, normalizeUnderscoreOptions, scanConfigSelection } from "./argv.js";
import { CleanupRegistry } from "./cleanup.js";
import { createContext } from "./context.js";
import type { ActionLoader } from "./define.js";
import { DEFAULT_GLOBAL_OPTIONS, type GlobalOptions } from "../core/context.js";
import { OUTPUT_FORMATS, isGlobalOption, resolveGlobalOptions } from "./globals.js";
import { aliasCommand, loadConfiguration, type Configuration } from "./layers/config.js";
import { HASH_OPTION_FLAGS, buildProgram, commandPath, longOptionNames } from "./program.js";

export interface CliIO {
  readonly stdout: OutputStream & NodeJS.WritableStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface RunCliOptions {
  /** Shared with the signal handlers installed by the bin. */
  readonly cleanup?: CleanupRegistry;
  /** Replaces the configuration loader (tests). */
  readonly loadConfiguration?: (globals: GlobalOptions) => Promise<Configuration>;
  /** Called once the output exists, so the bin can stop a live view on Ctrl-C. */
  readonly onOutput?: (output: Output) => void;
  /** Aborted by the bin's signal handlers: stops a configuration load at once. */
  readonly signal?: AbortSignal;
}

const MAX_ALIAS_DEPTH = 5;

function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export async function runCli(argv: readonly string[], io: CliIO = processIO(), options: RunCliOptions = {}): Promise<number> {
  // The fast path: no commander, no config, no colours.
  if (argv.length === 1 && (argv[0] === "version" || argv[0] === "--version")) {
    io.stdout.write(`${BERTH_VERSION}\n`);
    return 0;
  }

  const cleanup = options.cleanup ?? new CleanupRegistry();
  let output: Output | undefined;
  // Secrets may be read before the output exists (an alias's config): keep them until it does.
  const secretValues: string[] = [];
  const onSecrets = (values: readonly string[]): void => {
    secretValues.push(...values);
    output?.registerSecrets(values);
  };
  const configurations = new Map<string, Promise<Configuration>>();
  const load =
    options.loadConfiguration ??
    ((globals: GlobalOptions) =>
      loadConfiguration({
        ...pick(globals, "configFile", "destination", "version"),
        cwd: io.cwd,
        env: io.env,
        onSecrets,
        ...(options.signal ? { signal: options.signal } : {}),
      }));
  const cachedLoad = (globals: GlobalOptions): Promise<Configuration> => {
    const key = JSON.stringify([globals.configFile, globals.destination, globals.version]);
    let configuration = configurations.get(key);
    if (configuration === undefined) configurations.set(key, (configuration = load(globals)));
    return configuration;
  };

  let verbose = hasVerboseFlag(argv);
  let failure: { error: unknown } | undefined;
  let exitCode = 0;

  const runner = async (command: Command, args: readonly unknown[], loadAction: ActionLoader): Promise<void> => {
    const globals = resolveGlobalOptions(command, io.env);
    verbose = globals.verbose;
    output = await createOutput({
      stdout: io.stdout,
      stderr: io.stderr,
      env: io.env,
      verbosity: globals.quiet ? "error" : globals.verbose ? "debug" : "info",
      format: globals.output,
    });
    output.registerSecrets(secretValues);
    options.onOutput?.(output);
    const context = createContext({
      globals,
      output,
      cwd: io.cwd,
      env: io.env,
      commandPath: commandPath(command),
      cleanup,
      loadConfiguration: cachedLoad,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const action = await loadAction();
    await action(context, ...args, ownOptions(command));
  };

  try {
    const program = buildProgram(
      {
        writeOut: (text) => void io.stdout.write(text),
        writeErr: (text) => void io.stderr.write(text),
        // With --output json, usage errors are events too, so CI sees every failure the same way.
        ...(requestedFormat(io, argv) === "json"
          ? { outputError: (text: string) => fallbackOutput(io, argv).reportError(new BerthError(text.trim(), "Berth::UsageError"), { verbose: false }) }
          : {}),
      },
      runner,
      { globalOptions: "on-use" },
    );
    const known = new Set(program.commands.flatMap((command) => [command.name(), ...command.aliases()]));
    const expanded = await expandAliases([...argv], known, io.cwd, cachedLoad);
    const args = expandHashOptions(normalizeUnderscoreOptions(expanded, longOptionNames(program)), HASH_OPTION_FLAGS);
    // `berth -c` is a missing value (commander says so), not a request for the command list.
    const listed = endsWithValueFlag(args) ? undefined : commandToList(program, args);
    if (listed !== undefined) {
      // Like Thor: a bare `berth` (or `berth app`) lists the commands and succeeds.
      listed.outputHelp();
      return 0;
    }
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      exitCode = error.exitCode;
      if (error.code === "commander.optionMissingArgument" && error.message.includes("--hosts")) {
        io.stderr.write("(-h is --hosts, as in Kamal; help is --help)\n");
      }
    } else failure = { error };
  } finally {
    const cleanupFailures = await cleanup.run();
    const reporter = output ?? fallbackOutput(io, argv);
    if (failure !== undefined) {
      reporter.reportError(failure.error, { verbose });
      exitCode = 1;
    }
    for (const cleanupFailure of cleanupFailures) reporter.reportError(cleanupFailure, { verbose });
    if (cleanupFailures.length > 0) exitCode = exitCode || 1;
    // A command that wound down after Ctrl-C/SIGTERM exits as the signal's default action would.
    const signal = cleanup.interruptedBy;
    if (signal !== undefined && exitCode !== 0) exitCode = 128 + (constants.signals[signal] ?? 0);
    output?.close();
  }
  return exitCode;
}

/**
 * Kamal's aliases: an unknown command word is looked up in the `aliases:` of the config chosen by
 * -c/-d on the command line, and replaced by the alias's words; the remaining arguments follow.
 */
async function expandAliases(
  argv: string[],
  known: ReadonlySet<string>,
  cwd: string,
  load: (globals: GlobalOptions) => Promise<Configuration>,
): Promise<string[]> {
  let args = argv;
  const seen: string[] = [];
  for (let depth = 0; depth <= MAX_ALIAS_DEPTH; depth++) {
    const { commandIndex } = findCommandWord(args);
    const word = args[commandIndex];
    if (commandIndex === -1 || word === undefined || known.has(word)) return args;
    if (seen.includes(word)) throw new BerthError(`Alias loop: ${[...seen, word].join(" -> ")}`, "Berth::ConfigurationError");
    const selection = scanConfigSelection(args);
    const globals: GlobalOptions = { ...DEFAULT_GLOBAL_OPTIONS, ...selection };
    let configuration: Configuration;
    try {
      configuration = await load(globals);
    } catch (error) {
      // No config here: let commander say "unknown command" (with its suggestion). A config that
      // exists but is broken is reported, since the alias may live in it.
      if (existsSync(resolve(cwd, globals.configFile))) throw error;
      return args;
    }
    const line = aliasCommand(configuration, word);
    if (line === undefined) return args;
    seen.push(word);
    args = [...args.slice(0, commandIndex), ...splitAlias(word, line), ...args.slice(commandIndex + 1)];
  }
  throw new BerthError(`Aliases nest deeper than ${MAX_ALIAS_DEPTH}: ${seen.join(" -> ")}`, "Berth::ConfigurationError");
}

/** Kamal splits an alias's command line with Ruby's Shellwords. */
function splitAlias(name: string, line: string): string[] {
  try {
    return shellSplit(line);
  } catch (error) {
    throw new BerthError(`Alias ${name} cannot be split into words (${(error as Error).message}): ${line}`, "Berth::ConfigurationError");
  }
}

/** The command's own options for its action, without the global ones (those are in the context). */
function ownOptions(command: Command): Record<string, unknown> {
  const values = command.opts();
  const own: Record<string, unknown> = {};
  for (const option of command.options) {
    if (isGlobalOption(option)) continue;
    const key = option.attributeName();
    let value: unknown = values[key];
    // `build push --output json` selects the output format; the export type keeps its default.
    if (key === "output" && OUTPUT_FORMATS.includes(value as OutputFormat)) value = option.defaultValue;
    own[key] = value;
  }
  return own;
}

/** The program or group named by `args` when no subcommand follows it (and no --help is asked). */
function commandToList(program: Command, args: readonly string[]): Command | undefined {
  if (args.includes("--help")) return undefined;
  let command = program;
  let rest = args;
  for (;;) {
    const { commandIndex } = findCommandWord(rest);
    if (commandIndex === -1) return command;
    const next = command.commands.find((candidate) => candidate.name() === rest[commandIndex]);
    if (next === undefined || next.commands.length === 0) return undefined;
    command = next;
    rest = rest.slice(commandIndex + 1);
  }
}

function pick<T, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}

function hasVerboseFlag(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === "--verbose" || /^-[A-Za-z]*v[A-Za-z]*$/.test(arg));
}

/** The --output asked for on the command line (or BERTH_OUTPUT), before commander has parsed it. */
function requestedFormat(io: CliIO, argv: readonly string[]): OutputFormat {
  const end = argv.indexOf("--");
  const args = end === -1 ? argv : argv.slice(0, end);
  const index = args.lastIndexOf("--output");
  const inline = args.findLast((arg) => arg.startsWith("--output="))?.slice("--output=".length);
  const asked = index !== -1 ? args[index + 1] : (inline ?? io.env.BERTH_OUTPUT);
  return asked === "json" ? "json" : "text";
}

/** For failures outside a command (alias expansion, usage errors): text or JSON as asked. */
function fallbackOutput(io: CliIO, argv: readonly string[]): Output {
  const format = requestedFormat(io, argv);
  return new Output({ stdout: io.stdout, stderr: io.stderr, format, color: colorEnabled({ env: io.env, isTTY: io.stderr.isTTY === true }) });
}

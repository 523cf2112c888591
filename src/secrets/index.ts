// Secrets from `.kamal/secrets*`, with Kamal 2's rules: `<path>-common` first, then `<path>`
// (or `<path>.<destination>` instead, when deploying to a destination); later files override
// earlier ones; missing files are skipped. Each file is parsed on its own (dotenv.ts), so `$VAR`
// sees only keys defined above it in the same file, then the environment. Nothing is read or
// run until the first lookup, and then only once, so commands that need no secret never start
// a vault CLI or prompt for a password.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { readTextFile } from "../config/limits.js";
import { BerthError } from "../util/errors.js";
import { NOT_RUN_IN_PLAN, RUN_COMMANDS, isReplayRequest, replaying, type CommandEvent, type CommandPolicy } from "../util/local-commands.js";
import { parseDotenv, type CommandSubstitution } from "./dotenv.js";
import { isInlineSecretsCommand, runInlineSecretsCommand } from "./inline.js";
import { createAsyncCommandRunner, createCommandRunner, describeFailure, type CommandRequest, type CommandResult, type CommandRunner, type Environment } from "./runner.js";
import type { SecretsLookup } from "./types.js";

export interface SecretsOptions {
  /** Kamal's `secrets_path`; relative to `cwd`. */
  readonly secretsPath?: string;
  readonly destination?: string;
  readonly cwd: string;
  /** For `$VAR` fallbacks and for the commands run; defaults to process.env. */
  readonly env?: Environment;
  /** Runs `$(…)` commands and vault CLIs; defaults to real child processes. */
  readonly runCommand?: CommandRunner;
  /** Whether `$(…)` runs at all: under `--plan` it doesn't, and the value is a placeholder. */
  readonly commands?: CommandPolicy;
}

type Loaded = { ok: true; values: Readonly<Record<string, string>>; skipped: readonly string[] } | { ok: false; error: unknown };

export class Secrets implements SecretsLookup {
  private readonly secretsPath: string;
  private readonly destination: string | undefined;
  private readonly cwd: string;
  private readonly env: Environment;
  private readonly run: CommandRunner;
  /** Set when the caller gave its own runner (tests): preload then reads synchronously. */
  private readonly customRunner: boolean;
  private readonly commands: CommandPolicy;
  private existing: readonly string[] | undefined;
  private loaded: Loaded | undefined;

  constructor({ secretsPath = ".kamal/secrets", destination, cwd, env = process.env, runCommand, commands = RUN_COMMANDS }: SecretsOptions) {
    this.secretsPath = secretsPath;
    this.destination = destination;
    this.cwd = cwd;
    this.env = env;
    this.run = runCommand ?? createCommandRunner({ cwd, env });
    this.customRunner = runCommand !== undefined;
    this.commands = commands;
  }

  /** Every file Berth looks for, in order, as named in messages. */
  get filenames(): readonly string[] {
    const main = this.destination === undefined ? this.secretsPath : `${this.secretsPath}.${this.destination}`;
    return [`${this.secretsPath}-common`, main];
  }

  /** The files that exist, in the order they are read (later ones override earlier ones). */
  get files(): readonly string[] {
    this.existing ??= this.filenames.filter((file) => existsSync(resolve(this.cwd, file)));
    return this.existing;
  }

  get(name: string): string {
    const values = this.values();
    if (Object.hasOwn(values, name)) return values[name]!;
    throw new BerthError(this.notFoundMessage(name, values), "Berth::ConfigurationError");
  }

  has(name: string): boolean {
    return Object.hasOwn(this.values(), name);
  }

  all(): Readonly<Record<string, string>> {
    return Object.freeze(Object.assign(Object.create(null) as Record<string, string>, this.values()));
  }

  /** Lines of the secrets files that are not `KEY=value` and were skipped, as `file:line`. */
  get skippedLines(): readonly string[] {
    this.values();
    return this.loaded?.ok === true ? this.loaded.skipped : [];
  }

  async preload(signal?: AbortSignal): Promise<void> {
    if (this.loaded !== undefined) return;
    if (this.customRunner || !this.commands.run) {
      this.loaded = this.load(this.run, this.commands.onCommand);
      return;
    }
    // Each pass reads the files again and stops at the first command not run yet; only the last
    // pass, which ran to the end, tells the policy what it met.
    const runAsync = createAsyncCommandRunner({ cwd: this.cwd, env: this.env }, signal);
    let events: CommandEvent[] = [];
    const loaded = await replaying<CommandRequest, CommandResult, Loaded>(
      (run) => {
        events = [];
        const attempt = this.load(run, (event) => void events.push(event));
        if (!attempt.ok && isReplayRequest(attempt.error)) throw attempt.error;
        return attempt;
      },
      runAsync,
      signal,
    );
    for (const event of events) this.commands.onCommand?.(event);
    this.loaded ??= loaded;
  }

  private values(): Readonly<Record<string, string>> {
    // A failure is remembered too: retrying would run the vault CLIs (and their prompts) again.
    this.loaded ??= this.load(this.run, this.commands.onCommand);
    if (!this.loaded.ok) throw this.loaded.error;
    return this.loaded.values;
  }

  private load(run: CommandRunner, onCommand: ((event: CommandEvent) => void) | undefined): Loaded {
    try {
      const values = Object.create(null) as Record<string, string>;
      const skipped: string[] = [];
      for (const file of this.files) {
        const parsed = parseDotenv(this.read(file), {
          file,
          env: this.env,
          substituteCommand: (substitution) => this.substitute(substitution, run, onCommand),
        });
        for (const [key, value] of Object.entries(parsed.values)) {
          // Environment variables and arguments end at a NUL: such a value could never be passed on.
          if (value.includes("\0")) throw new BerthError(`Secret ${key} in ${file} holds a NUL character, which no environment variable can carry`, "Berth::ConfigurationError");
        }
        Object.assign(values, parsed.values);
        skipped.push(...parsed.ignoredLines.map((line) => `${file}:${line}`));
      }
      return { ok: true, values, skipped };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private read(file: string): string {
    return readTextFile(resolve(this.cwd, file), file, "Secrets file");
  }

  private substitute(
    { command, file, key, variables, expandVariables }: CommandSubstitution,
    run: CommandRunner,
    onCommand: ((event: CommandEvent) => void) | undefined,
  ): string {
    onCommand?.({ source: "secrets", file, key, command, ran: this.commands.run });
    if (!this.commands.run) return `[${key}: $(${firstWord(command)} …) ${NOT_RUN_IN_PLAN}]`;
    const expanded = expandVariables(command);
    if (isInlineSecretsCommand(expanded)) {
      try {
        return chomp(runInlineSecretsCommand(expanded, { cwd: this.cwd, env: this.env, runCommand: run }));
      } catch (error) {
        if (!(error instanceof BerthError)) throw error;
        throw new BerthError(`${error.message} (for ${key} in ${file})`, error.kind);
      }
    }
    // The shell expands `$VAR` itself, so values never become part of a command line. It gets
    // the file's keys that the command names (they win over the process environment, as in
    // dotenv); other keys stay out, so a file's `PATH=` or `AWS_PROFILE=` cannot change how an
    // unrelated `$(…)` runs.
    const result = run({ argv: ["/bin/sh", "-c", command], env: referencedVariables(command, variables) });
    if (result.status !== 0) {
      throw new BerthError(
        `Command substitution $(${firstWord(command)} …) for ${key} in ${file} failed (${describeFailure(result)})`,
        "Berth::SecretsError",
      );
    }
    return chomp(result.stdout);
  }

  private notFoundMessage(name: string, values: Readonly<Record<string, string>>): string {
    const files = this.files;
    let message =
      files.length > 0
        ? `Secret '${name}' not found in ${files.join(", ")}`
        : `Secret '${name}' not found, no secret files (${this.filenames.join(", ")}) provided`;
    const similar = Object.keys(values).find((key) => key.toLowerCase() === name.toLowerCase());
    if (similar !== undefined) message += ` (did you mean '${similar}'?)`;
    const skipped = this.loaded?.ok === true ? this.loaded.skipped : [];
    if (skipped.length > 0) message += `; these lines are not KEY=value and were skipped: ${skipped.join(", ")}`;
    return message;
  }
}

const VARIABLE_REFERENCE = /\$\{?([A-Za-z0-9_]+)/g;

function referencedVariables(command: string, variables: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, name] of command.matchAll(VARIABLE_REFERENCE)) {
    if (Object.hasOwn(variables, name!)) env[name!] = variables[name!]!;
  }
  return env;
}

/** The program a command line starts with: messages name it, not its arguments (they may hold secrets). */
function firstWord(command: string): string {
  return command.trim().split(/\s+/)[0] ?? "";
}

/** Ruby's `String#chomp`: drops one trailing "\n", "\r\n" or "\r". */
function chomp(text: string): string {
  return text.replace(/(?:\r\n|\n|\r)$/, "");
}

export type { SecretsLookup } from "./types.js";
export { parseDotenv } from "./dotenv.js";
export type { CommandRunner, CommandRequest, CommandResult } from "./runner.js";

// The local commands that reading the configuration runs: ERB's `%x()`/backticks in deploy.yml
// and `$(…)` in .kamal/secrets. Their output is bounded (LIMITS.commandOutputBytes), they can be
// refused (`--plan` runs none unless asked), and they can run asynchronously so that Ctrl-C and
// SIGTERM are honoured while they run (see replaying below).
import { spawn, spawnSync } from "node:child_process";
import { BerthError } from "./errors.js";

export const COMMAND_OUTPUT_LIMIT = 1024 * 1024;

/** What a command printed, or why it gave nothing (for "command `x` <failure>"). */
export type CommandOutcome = { readonly stdout: string } | { readonly failure: string };

export interface CommandEvent {
  /** `deploy.yml` ERB or a secrets file's `$(…)`. */
  readonly source: "erb" | "secrets";
  /** The file, e.g. `config/deploy.yml` or `.kamal/secrets`. */
  readonly file: string;
  /** The secret being read (secrets files only). */
  readonly key?: string;
  readonly command: string;
  readonly ran: boolean;
}

/**
 * Whether the configuration's commands run. `berth deploy --plan` refuses them (it runs nothing
 * that could write) unless given --resolve-commands; either way it is told every one it met.
 */
export interface CommandPolicy {
  readonly run: boolean;
  readonly onCommand?: (event: CommandEvent) => void;
}

export const RUN_COMMANDS: CommandPolicy = { run: true };

/** Why a plan did not run a command, for messages and placeholders. */
export const NOT_RUN_IN_PLAN = "not run: --plan runs no local command without --resolve-commands";

export interface ShellOptions {
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

function tooMuchOutput(): CommandOutcome {
  return { failure: `printed more than ${COMMAND_OUTPUT_LIMIT / (1024 * 1024)} MiB` };
}

function exitFailure(status: number | null, signal: string | null, error?: NodeJS.ErrnoException): CommandOutcome {
  if (error !== undefined) return { failure: `could not be run (${error.code ?? error.message})` };
  if (signal !== null) return { failure: `was killed by ${signal}` };
  return { failure: `exited with status ${status ?? "unknown"}` };
}

/** `/bin/sh -c command`, stdin and stderr on the terminal (vault CLIs prompt), stdout captured. */
export function runShellSync(command: string, options: ShellOptions): CommandOutcome {
  const result = spawnSync("/bin/sh", ["-c", command], {
    cwd: options.cwd,
    env: definedOnly(options.env),
    encoding: "utf8",
    stdio: ["inherit", "pipe", "inherit"],
    maxBuffer: COMMAND_OUTPUT_LIMIT,
  });
  const error = result.error as NodeJS.ErrnoException | undefined;
  if (error?.code === "ENOBUFS") return tooMuchOutput();
  if (error !== undefined || result.status !== 0) return exitFailure(result.status, result.signal, error);
  return { stdout: result.stdout };
}

/**
 * Like runShellSync, but the event loop keeps running: `signal` kills the command. Without a
 * terminal to prompt on, the command gets its own process group, so what it started dies with it;
 * with one it stays in the terminal's group (a vault CLI may prompt), which Ctrl-C reaches whole.
 */
export function runShell(command: string, options: ShellOptions & { signal?: AbortSignal }): Promise<CommandOutcome> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(interrupted(signal));
  return new Promise((resolve, reject) => {
    const ownGroup = process.stdin.isTTY !== true;
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: options.cwd,
      env: definedOnly(options.env),
      stdio: ["inherit", "pipe", "inherit"],
      detached: ownGroup,
    });
    const kill = (): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        if (ownGroup) process.kill(-child.pid, "SIGTERM");
        else child.kill("SIGTERM");
      } catch {
        // Gone already.
      }
    };
    signal?.addEventListener("abort", kill, { once: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= COMMAND_OUTPUT_LIMIT) chunks.push(chunk);
      else if (!overflow) {
        overflow = true;
        kill();
      }
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener("abort", kill);
      resolve(exitFailure(null, null, error));
    });
    child.on("close", (status, killedBy) => {
      signal?.removeEventListener("abort", kill);
      if (signal?.aborted) return reject(interrupted(signal));
      if (overflow) return resolve(tooMuchOutput());
      resolve(status === 0 ? { stdout: Buffer.concat(chunks).toString("utf8") } : exitFailure(status, killedBy));
    });
  });
}

/** The error a load stopped by Ctrl-C or SIGTERM ends with (the signal handler sets the exit code). */
export class InterruptedError extends BerthError {
  constructor(reason: unknown) {
    super(`Interrupted${typeof reason === "string" ? ` by ${reason}` : ""} while reading the configuration`, "Berth::Interrupted");
  }
}

function interrupted(signal: AbortSignal | undefined): InterruptedError {
  return new InterruptedError(signal?.reason);
}

/** Throws when `signal` was aborted, after letting the event loop deliver any pending signal. */
export async function checkInterrupted(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return;
  // A signal that arrived during synchronous work is handled once the loop polls again.
  await new Promise((resolve) => setImmediate(resolve));
  if (signal.aborted) throw interrupted(signal);
}

/** Thrown by a replaying runner for a command it has no result for yet. */
class NeedsRun<Request> {
  constructor(readonly request: Request) {}
}

/** Whether `error` is a replaying runner asking for a command (code that keeps errors must rethrow it). */
export function isReplayRequest(error: unknown): boolean {
  return error instanceof NeedsRun;
}

/**
 * Runs synchronous `work` whose commands run asynchronously: each time work asks for a command
 * not run yet, it is abandoned, the command runs (the event loop, and so signal handling, keeps
 * going) and work starts again, getting the results recorded so far in order. `work` must be
 * deterministic apart from its commands and change nothing before it returns; it runs once more
 * than it has commands (reading and rendering a configuration is cheap next to any command).
 */
export async function replaying<Request, Result, T>(
  work: (run: (request: Request) => Result) => T,
  runAsync: (request: Request) => Promise<Result>,
  signal?: AbortSignal,
): Promise<T> {
  const results: Result[] = [];
  for (;;) {
    await checkInterrupted(signal);
    let next = 0;
    try {
      return work((request) => {
        const index = next++;
        if (index < results.length) return results[index]!;
        throw new NeedsRun(request);
      });
    } catch (error) {
      if (!(error instanceof NeedsRun)) throw error;
      results.push(await runAsync(error.request as Request));
    }
  }
}

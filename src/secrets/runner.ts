// Local commands run while loading secrets: `$(…)` substitutions and vault CLIs. Synchronous on
// purpose: `SecretsLookup.get` is synchronous, and a vault CLI may prompt on the terminal, which
// must not interleave with anything else. Secrets travel in `env` or `stdin`, never in `argv`.

import { spawn, spawnSync } from "node:child_process";
import { Redacted } from "../core/cmd.js";
import { InterruptedError } from "../util/local-commands.js";

export type Environment = Readonly<Record<string, string | undefined>>;

export interface CommandRequest {
  readonly argv: readonly string[];
  /** Added to the runner's environment, e.g. a vault session token. */
  readonly env?: Readonly<Record<string, string>>;
  /** "inherit" (default) lets a CLI prompt on the terminal, as Ruby's backticks do. */
  readonly stdin?: "inherit" | "ignore" | Redacted;
  /** "ignore" is `2> /dev/null`; "inherit" (default) shows the CLI's own messages. */
  readonly stderr?: "inherit" | "ignore";
}

export interface CommandResult {
  /** Exit status; null when killed by a signal or never started. */
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  /** The program was not found (ENOENT). */
  readonly missing: boolean;
  /** It printed more than MAX_OUTPUT_BYTES and was stopped. */
  readonly overflow?: boolean;
}

export type CommandRunner = (request: CommandRequest) => CommandResult;

export interface RunnerOptions {
  readonly cwd: string;
  readonly env: Environment;
}

/** Far above any vault's answer; a command printing more is stopped rather than read into memory. */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export function createCommandRunner({ cwd, env }: RunnerOptions): CommandRunner {
  return (request) => {
    const [program, ...args] = request.argv;
    if (program === undefined) throw new Error("CommandRunner: empty argv");
    const stdin = request.stdin ?? "inherit";
    const result = spawnSync(program, args, {
      cwd,
      env: { ...definedOnly(env), ...request.env },
      input: stdin instanceof Redacted ? stdin.value : undefined,
      stdio: [stdin instanceof Redacted ? "pipe" : stdin, "pipe", request.stderr ?? "inherit"],
      encoding: "utf8",
      maxBuffer: MAX_OUTPUT_BYTES,
    });
    const errorCode = (result.error as NodeJS.ErrnoException | undefined)?.code;
    return {
      status: result.status,
      signal: result.signal,
      stdout: result.stdout ?? "",
      missing: errorCode === "ENOENT",
      ...(errorCode === "ENOBUFS" ? { overflow: true } : {}),
    };
  };
}

export type AsyncCommandRunner = (request: CommandRequest) => Promise<CommandResult>;

/**
 * The runner's asynchronous twin: `signal` kills the command (and, without a terminal to prompt
 * on, what it started: it gets its own process group) and rejects with an InterruptedError.
 */
export function createAsyncCommandRunner({ cwd, env }: RunnerOptions, signal?: AbortSignal): AsyncCommandRunner {
  return (request) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new InterruptedError(signal.reason));
      const [program, ...args] = request.argv;
      if (program === undefined) return reject(new Error("CommandRunner: empty argv"));
      const stdin = request.stdin ?? "inherit";
      const ownGroup = process.stdin.isTTY !== true;
      const child = spawn(program, args, {
        cwd,
        env: { ...definedOnly(env), ...request.env },
        stdio: [stdin instanceof Redacted ? "pipe" : stdin, "pipe", request.stderr ?? "inherit"],
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
      if (stdin instanceof Redacted) child.stdin?.end(stdin.value);
      const chunks: Buffer[] = [];
      let size = 0;
      let overflow = false;
      child.stdout?.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_OUTPUT_BYTES) chunks.push(chunk);
        else if (!overflow) {
          overflow = true;
          kill();
        }
      });
      let missing = false;
      child.on("error", (error: NodeJS.ErrnoException) => {
        missing = error.code === "ENOENT";
      });
      child.on("close", (status, killedBy) => {
        signal?.removeEventListener("abort", kill);
        if (signal?.aborted) return reject(new InterruptedError(signal.reason));
        resolve({
          status: overflow || missing ? null : status,
          signal: overflow ? "SIGTERM" : killedBy,
          stdout: Buffer.concat(chunks).toString("utf8"),
          missing,
          ...(overflow ? { overflow: true } : {}),
        });
      });
    });
}

export function succeeded(result: CommandResult): boolean {
  return result.status === 0;
}

/** "exit status 3", "signal SIGTERM" or "not found": for errors, never the output. */
export function describeFailure(result: CommandResult): string {
  if (result.missing) return "command not found";
  if (result.overflow === true) return `printed more than ${MAX_OUTPUT_BYTES / (1024 * 1024)} MiB`;
  if (result.signal !== null) return `killed by ${result.signal}`;
  return `exit status ${result.status ?? "unknown"}`;
}

/** Own string values only: `process.env` inherits `toString` and friends. */
export function environmentValue(env: Environment, name: string): string {
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  return typeof value === "string" ? value : "";
}

function definedOnly(env: Environment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

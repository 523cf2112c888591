// Runs one local process (ssh, sh, ssh-agent ...) with streaming output and bounded time.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { StringDecoder } from "node:string_decoder";
import { BerthError } from "../util/errors.js";

export interface ChildRequest {
  command: string;
  args: readonly string[];
  stdin?: Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  onStdoutBytes?: (chunk: Buffer) => void;
  keepStdoutBytes?: boolean;
  timeoutMs?: number;
  /**
   * Resolve on process exit instead of on all pipes closing: `ssh -f` leaves a background child
   * that may hold inherited pipes open.
   */
  settleOnExit?: boolean;
  /**
   * Its own process group (and session): a Ctrl-C at the terminal, which signals the whole
   * foreground group, reaches Berth only, which then decides what to stop and when.
   */
  ownGroup?: boolean;
  /** Ends the process group (SIGTERM, then SIGKILL a second later) when aborted; implies ownGroup. */
  signal?: AbortSignal;
  /**
   * The process group ends when this process dies, even by SIGKILL: a watcher in the group reads
   * a pipe from this process, whose end closes only when this process is gone (a finished command
   * is told so first, and its watcher leaves quietly). Implies ownGroup.
   */
  dieWithParent?: boolean;
}

// sh: the watcher waits on fd 3 (the pipe); end of input without a line means Berth is gone.
const PARENT_WATCH = '( read -r _ <&3 || kill -TERM 0 ) </dev/null >/dev/null 2>&1 & exec 3<&-; exec "$@"';

export interface ChildOutcome {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes?: Buffer;
  durationMs: number;
  timedOut: boolean;
  /** The exit status came from the command itself (a remote shell's marker), not from ssh. */
  statusFromCommand?: boolean;
}

/** Exit status reported for a command stopped by `timeoutMs`, like coreutils' timeout(1). */
export const TIMEOUT_EXIT_STATUS = 124;

export function runChild(request: ChildRequest): Promise<ChildOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    if (request.signal?.aborted) return reject(abortError(request));
    const watched = request.dieWithParent === true;
    const child = spawn(watched ? "sh" : request.command, watched ? ["-c", PARENT_WATCH, "sh", request.command, ...request.args] : request.args, {
      env: request.env ?? process.env,
      cwd: request.cwd,
      stdio: [request.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe", ...(watched ? (["pipe"] as const) : [])],
      // With a time limit, its own process group, so the limit also ends what a shell started.
      detached: request.timeoutMs !== undefined || request.ownGroup === true || request.signal !== undefined || watched,
    });
    const watch = watched ? (child.stdio[3] as NodeJS.WritableStream & { on(event: "error", listener: () => void): unknown }) : undefined;
    watch?.on("error", () => undefined); // the watcher may be gone already
    // Told "done" on exit: the watcher then leaves the group alone.
    if (watch !== undefined) child.once("exit", () => watch.end("\n"));
    // Both are pipes (see stdio above); only stdin may be absent.
    const out = child.stdout!;
    const err = child.stderr!;
    const stdoutDecoder = new StringDecoder("utf8");
    const stderrDecoder = new StringDecoder("utf8");
    let stdout = "";
    let stderr = "";
    const stdoutBytes: Buffer[] = [];
    let timedOut = false;
    let settled = false;

    out.on("data", (chunk: Buffer) => {
      if (request.keepStdoutBytes) stdoutBytes.push(chunk);
      request.onStdoutBytes?.(chunk);
      const text = stdoutDecoder.write(chunk);
      if (text) {
        stdout += text;
        request.onStdout?.(text);
      }
    });
    err.on("data", (chunk: Buffer) => {
      const text = stderrDecoder.write(chunk);
      if (text) {
        stderr += text;
        request.onStderr?.(text);
      }
    });
    const stop = (): void => {
      killGroup(child.pid, "SIGTERM");
      // Whatever ignores SIGTERM (or holds our pipes) gets no more than a second.
      setTimeout(() => {
        killGroup(child.pid, "SIGKILL");
        out.destroy();
        err.destroy();
      }, 1000).unref();
    };
    const timer =
      request.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, request.timeoutMs);
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    request.signal?.addEventListener("abort", onAbort, { once: true });

    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      if (aborted) return reject(abortError(request));
      const restOut = stdoutDecoder.end();
      if (restOut) {
        stdout += restOut;
        request.onStdout?.(restOut);
      }
      stderr += stderrDecoder.end();
      if (request.settleOnExit) {
        out.destroy();
        err.destroy();
      }
      resolve({
        code: timedOut ? TIMEOUT_EXIT_STATUS : (code ?? (signal ? 128 + signalNumber(signal) : 1)),
        stdout,
        stderr,
        ...(request.keepStdoutBytes ? { stdoutBytes: Buffer.concat(stdoutBytes) } : {}),
        durationMs: performance.now() - started,
        timedOut,
      });
    };
    child.on("error", (error) => {
      if (timer) clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    if (request.settleOnExit) {
      // Give output already in the pipes a moment to arrive before settling.
      child.on("exit", (code, signal) => setTimeout(() => finish(code, signal), 20));
    } else {
      child.on("close", finish);
    }
    if (child.stdin) {
      child.stdin.on("error", () => undefined); // the command may exit without reading its input
      child.stdin.end(request.stdin);
    }
  });
}

/** The abort's reason when it is an Error (e.g. the deploy's own), else a user-facing "stopped". */
function abortError(request: ChildRequest): Error {
  const reason: unknown = request.signal?.reason;
  if (reason instanceof Error) return reason;
  return new BerthError(`${request.command} was stopped${reason === undefined ? "" : ` (${String(reason)})`}`, "Berth::Interrupted");
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

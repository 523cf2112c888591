// A remote /bin/sh kept open on one SSH session, running commands one after another. A command
// then costs a write and a read on the shared connection instead of a new ssh process, a new SSH
// session and a new login shell on the server: on a 2-core server that is most of what a short
// docker command costs. Each command runs in its own subshell (`eval`, so a syntax error ends only
// that subshell) with its own standard input; a marker line on both streams carries its exit status.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import { singleQuote } from "../core/cmd.js";
import { TIMEOUT_EXIT_STATUS, type ChildOutcome } from "./child.js";
import type { OutputHooks } from "./observed-run.js";

/** The remote command that turns an SSH session into a remote shell. */
export const REMOTE_SHELL_COMMAND = "exec /bin/sh";

/** Standard input up to this size travels inside the shell's script (base64); larger goes by its own ssh. */
export const MAX_SHELL_STDIN_BYTES = 256 * 1024;

/** The text the shell receives for one command (pure, for tests). */
export function shellJob(script: string, marker: string, stdin: Buffer | undefined): string {
  const input = stdin === undefined ? "" : `printf '%s' '${stdin.toString("base64")}' | base64 -d | `;
  const redirect = stdin === undefined ? " </dev/null" : "";
  const done = `printf '\\n%s %s\\n' '${marker}' "$berth_shell_rc"`;
  return `${input}( eval ${singleQuote(script)} )${redirect}; berth_shell_rc=$?; ${done}; ${done} >&2\n`;
}

interface Job {
  hooks: OutputHooks;
  started: number;
  stdout: MarkedStream;
  stderr: MarkedStream;
  stdoutBytes: Buffer[];
  stdoutText: string;
  stderrText: string;
  stdoutDecoder: StringDecoder;
  stderrDecoder: StringDecoder;
  timer?: NodeJS.Timeout;
  timedOut: boolean;
  resolve(outcome: ChildOutcome): void;
}

export class RemoteShell {
  private readonly child: ChildProcess;
  private readonly marker = `__berth_shell_${randomBytes(8).toString("hex")}__`;
  private job?: Job;
  private exitCode?: number;
  private closing = false;
  private idleTimer?: NodeJS.Timeout;
  /** Why the process could not be started (e.g. ENOENT: no such command), if it could not. */
  startError?: Error;
  /** What the process said while no command ran (ssh's own messages), kept for the next failure. */
  private idleStderr = "";

  /**
   * `idleTimeoutMs`: the shell ends after this long without a command, so that the connection it
   * holds open can idle out too (ControlPersist).
   */
  constructor(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    private readonly idleTimeoutMs?: number,
  ) {
    // Its own process group: a Ctrl-C at the terminal must not cut the command it runs (see child.ts, ownGroup).
    this.child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.child.stdin!.on("error", () => undefined); // a dead shell is noticed on exit
    this.child.stdout!.on("data", (chunk: Buffer) => this.onOutput("stdout", chunk));
    this.child.stderr!.on("data", (chunk: Buffer) => this.onOutput("stderr", chunk));
    this.child.on("error", (error) => {
      this.startError ??= error;
      this.onExit(255);
    });
    this.child.on("close", (code, signal) => this.onExit(code ?? (signal ? 255 : 1)));
  }

  /** The process has exited: the shell takes no more commands. */
  get ended(): boolean {
    return this.exitCode !== undefined;
  }

  /** Running and free for a command. */
  get idle(): boolean {
    return this.exitCode === undefined && !this.closing && this.job === undefined;
  }

  /** Runs one command; resolves like a finished process (exit status, output, time taken). */
  run(script: string, stdin: Buffer | undefined, hooks: OutputHooks): Promise<ChildOutcome> {
    if (!this.idle) throw new Error("RemoteShell.run while busy or closed");
    if (this.idleTimer) clearTimeout(this.idleTimer);
    return new Promise((resolve) => {
      const job: Job = {
        hooks,
        started: performance.now(),
        stdout: new MarkedStream(this.marker),
        stderr: new MarkedStream(this.marker),
        stdoutBytes: [],
        stdoutText: "",
        stderrText: "",
        stdoutDecoder: new StringDecoder("utf8"),
        stderrDecoder: new StringDecoder("utf8"),
        timedOut: false,
        resolve,
      };
      if (hooks.timeoutMs !== undefined) {
        job.timer = setTimeout(() => {
          job.timedOut = true;
          this.kill();
          // Settle now: what the command started may hold the pipes open for a while.
          this.onExit(TIMEOUT_EXIT_STATUS);
        }, hooks.timeoutMs);
      }
      this.job = job;
      this.child.stdin!.write(shellJob(script, this.marker, stdin));
    });
  }

  /** Ends the shell once its current command is done (it exits at the end of its input). */
  close(): void {
    this.closing = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.child.stdin!.end();
  }

  kill(): void {
    this.child.kill("SIGTERM");
    setTimeout(() => {
      this.child.kill("SIGKILL");
      this.child.stdout!.destroy();
      this.child.stderr!.destroy();
    }, 1000).unref();
  }

  private onOutput(stream: "stdout" | "stderr", chunk: Buffer): void {
    const job = this.job;
    if (job === undefined) {
      if (stream === "stderr") this.idleStderr = (this.idleStderr + chunk.toString("utf8")).slice(-4096);
      return;
    }
    const marked = stream === "stdout" ? job.stdout : job.stderr;
    for (const bytes of marked.push(chunk)) this.deliver(job, stream, bytes);
    if (job.stdout.status !== undefined && job.stderr.status !== undefined) {
      this.finish(job, Number(job.stdout.status), true);
    }
  }

  private deliver(job: Job, stream: "stdout" | "stderr", bytes: Buffer): void {
    if (stream === "stdout") {
      if (job.hooks.keepStdoutBytes) job.stdoutBytes.push(bytes);
      job.hooks.onStdoutBytes?.(bytes);
      const text = job.stdoutDecoder.write(bytes);
      if (text) {
        job.stdoutText += text;
        job.hooks.onStdout?.(text);
      }
    } else {
      const text = job.stderrDecoder.write(bytes);
      if (text) {
        job.stderrText += text;
        job.hooks.onStderr?.(text);
      }
    }
  }

  private onExit(code: number): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = code;
    const job = this.job;
    if (job === undefined) return;
    // The shell or its connection ended mid-command: whatever arrived is the command's output.
    for (const bytes of job.stdout.flush()) this.deliver(job, "stdout", bytes);
    for (const bytes of job.stderr.flush()) this.deliver(job, "stderr", bytes);
    this.finish(job, job.timedOut ? TIMEOUT_EXIT_STATUS : code);
  }

  private finish(job: Job, code: number, statusFromCommand = false): void {
    if (this.job !== job) return;
    this.job = undefined;
    if (job.timer) clearTimeout(job.timer);
    const restOut = job.stdoutDecoder.end();
    if (restOut) {
      job.stdoutText += restOut;
      job.hooks.onStdout?.(restOut);
    }
    job.stderrText += job.stderrDecoder.end();
    const earlier = this.idleStderr;
    this.idleStderr = "";
    if (this.idleTimeoutMs !== undefined && this.exitCode === undefined && !this.closing) {
      this.idleTimer = setTimeout(() => this.close(), this.idleTimeoutMs);
      this.idleTimer.unref();
    }
    job.resolve({
      code,
      stdout: job.stdoutText,
      stderr: code === 0 ? job.stderrText : earlier + job.stderrText,
      ...(job.hooks.keepStdoutBytes ? { stdoutBytes: Buffer.concat(job.stdoutBytes) } : {}),
      durationMs: performance.now() - job.started,
      timedOut: job.timedOut,
      ...(statusFromCommand ? { statusFromCommand } : {}),
    });
  }
}

/**
 * One output stream of the shell: passes a command's bytes on and finds the marker line that ends
 * them (`\n<marker> <status>\n`). The bytes that could be the start of the marker are held back.
 */
export class MarkedStream {
  status?: string;
  private pending: Buffer = Buffer.alloc(0);
  private readonly needle: Buffer;

  constructor(marker: string) {
    this.needle = Buffer.from(`\n${marker} `, "latin1");
  }

  /** The bytes that are surely the command's own. */
  push(chunk: Buffer): Buffer[] {
    if (this.status !== undefined) return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const at = this.pending.indexOf(this.needle);
    if (at !== -1) {
      const end = this.pending.indexOf(0x0a, at + this.needle.length);
      if (end === -1) return this.take(at);
      this.status = this.pending.subarray(at + this.needle.length, end).toString("latin1");
      const own = this.pending.subarray(0, at);
      this.pending = Buffer.alloc(0);
      return own.length > 0 ? [own] : [];
    }
    return this.take(Math.max(0, this.pending.length - this.needle.length));
  }

  /** Everything held back (the stream ended without a marker). */
  flush(): Buffer[] {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest.length > 0 ? [rest] : [];
  }

  private take(length: number): Buffer[] {
    if (length === 0) return [];
    const own = Buffer.from(this.pending.subarray(0, length));
    this.pending = Buffer.from(this.pending.subarray(length));
    return [own];
  }
}

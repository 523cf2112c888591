// The contract between orchestration and the machinery that runs commands. Orchestration only
// sees `Transport`, so an SSH run, a local run and a --plan dry run are interchangeable.
import type { Batch } from "../commands/batch.js";
import type { Operation } from "../commands/operation.js";
import type { Redacted } from "../core/cmd.js";

export interface RunOptions {
  /** Standard input for the command, overriding `cmd.stdin`. Never logged. */
  stdin?: Buffer | Redacted;
  /** Decoded output as it arrives (UTF-8 safe across chunk boundaries). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Raw stdout bytes as they arrive, for binary output and `exec --raw` piping. */
  onStdoutBytes?: (chunk: Buffer) => void;
  /** Also keep stdout's exact bytes in `RunResult.stdoutBytes`. */
  raw?: boolean;
  /** Return a non-zero exit as a result instead of throwing `CommandFailedError`. */
  allowFailure?: boolean;
  /** Stop the command after this long; it then fails like a command that exited 124. */
  timeoutMs?: number;
  /**
   * Run it with the user's login shell, as `ssh host COMMAND` does (for the user's own command
   * lines, e.g. `server exec`); otherwise a transport may run it with /bin/sh.
   */
  loginShell?: boolean;
  /**
   * Local commands: stops the command (its whole process group) when aborted; it then rejects
   * with the abort's reason.
   */
  signal?: AbortSignal;
  /** Local commands: its processes end when Berth does, even when Berth is killed (SIGKILL). */
  dieWithParent?: boolean;
}

export interface RunResult {
  host: string;
  /** Exit status (0 unless `allowFailure`). */
  code: number;
  /** Everything written, untrimmed. */
  stdout: string;
  stderr: string;
  /** Present with `raw: true`. */
  stdoutBytes?: Buffer;
  durationMs: number;
}

export interface UploadOptions {
  /** File mode, applied before the file appears under its name (default 0o600). */
  mode?: number;
  /** `user[:group]` to chown to, also before the file appears. */
  owner?: string;
}

export interface HostStats {
  connectionsOpened: number;
  commandsRun: number;
}

export interface TransportStats extends HostStats {
  uploads: number;
  bytesUploaded: number;
  hosts: Record<string, HostStats>;
}

export interface Transport {
  /**
   * Runs one operation (or a batch of them) on a host as its command; throws `CommandFailedError`
   * on a non-zero exit unless `allowFailure`. A shell runs the command text; --plan records the
   * operations themselves.
   */
  run(host: string, command: Operation | Batch, options?: RunOptions): Promise<RunResult>;
  /**
   * Writes `body` to `remotePath` (relative paths are relative to the login directory) through
   * standard input, atomically, with `mode` from the start. The body never appears in arguments.
   */
  upload(host: string, body: Buffer | Redacted, remotePath: string, options?: UploadOptions): Promise<void>;
  /**
   * Opens the host's connection ahead of its first command, where the transport has connections;
   * a failure is reported by the host's next command, not here.
   */
  connect?(host: string): Promise<void>;
  /**
   * A local unix socket forwarded to a unix socket on the host, where the transport can (SSH);
   * rejects when the forward can't be set up.
   */
  forwardUnixSocket?(host: string, remotePath: string): Promise<string>;
  /**
   * The host's loopback port `remotePort` forwarded to a local unix socket, where the transport
   * can (SSH): kept for the run, across reconnections. Rejects with `RemoteForwardRefused` when
   * the server won't listen there.
   */
  forwardRemotePort?(host: string, remotePort: number, localSocket: string): Promise<void>;
  /**
   * Where the transport has connections: whether the host's still works. Undefined when it does
   * (or there is nothing to check), else the error saying it was lost; the host then fails every
   * later use at once.
   */
  checkConnection?(host: string): Promise<Error | undefined>;
  /** Closes every shared connection and helper process of this run. Safe to call twice. */
  close(): Promise<void>;
  /** Counters for the deploy note. */
  stats(): TransportStats;
  /** Adds an observer of commands and connections; returns a function that removes it. */
  observe(observer: TransportObserver): () => void;
}

export type CommandKind = "command" | "upload";

export interface CommandStarted {
  /** 8 hex digits, like SSHKit's command uuid, shared by the command's events. */
  id: string;
  host: string;
  kind: CommandKind;
  /** The command as it may be shown: Redacted parts print as [REDACTED]. */
  command: string;
}

export interface CommandOutput {
  id: string;
  host: string;
  stream: "stdout" | "stderr";
  chunk: string;
}

export interface CommandFinished extends CommandStarted {
  /** Exit status; 255 with `connectionError` set when the connection, not the command, failed. */
  exitStatus: number;
  durationMs: number;
  connectionError?: string;
}

export interface ConnectionOpened {
  host: string;
  durationMs: number;
}

export interface ConnectionFailed {
  host: string;
  durationMs: number;
  message: string;
}

/** Hooks for the output module (Kamal-style lines, live view, JSON events); every method is optional. */
export interface TransportObserver {
  commandStarted?(event: CommandStarted): void;
  commandOutput?(event: CommandOutput): void;
  commandFinished?(event: CommandFinished): void;
  connectionOpened?(event: ConnectionOpened): void;
  connectionFailed?(event: ConnectionFailed): void;
}

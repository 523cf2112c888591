// Failures of remote and local commands, worded like Kamal/SSHKit's so users switching tools
// recognise them, and the per-host aggregation of parallel runs ("Exceptions on N hosts:").
import { BerthError } from "../util/errors.js";

/** SSHKit's text: `<cmd> exit status: N`, then stdout and stderr or "Nothing written". */
export function formatCommandFailure(command: string, exitStatus: number, stdout: string, stderr: string): string {
  // The first line names the whole (redacted) command; the stream lines use its first word, as SSHKit does.
  const name = command.trim().split(/\s+/)[0] || command;
  const shown = (text: string): string => (text.trim() === "" ? "Nothing written" : text.trim());
  return [
    `${command} exit status: ${exitStatus}`,
    `${name} stdout: ${shown(stdout)}`,
    `${name} stderr: ${shown(stderr)}`,
  ].join("\n");
}

export class CommandFailedError extends BerthError {
  constructor(
    readonly host: string,
    /** Redacted command text. */
    readonly command: string,
    readonly exitStatus: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(formatCommandFailure(command, exitStatus, stdout, stderr), "SSHKit::Command::Failed");
  }
}

export type SshFailureReason =
  | "refused"
  | "timeout"
  | "unreachable"
  | "dns"
  | "auth"
  | "host-key-changed"
  | "host-key-unknown"
  | "connection-lost"
  | "other";

/** The connection (not the command) failed: unreachable host, authentication, host key. */
export class SshConnectionError extends BerthError {
  constructor(
    readonly host: string,
    readonly reason: SshFailureReason,
    message: string,
    /** ssh's own words, kept for logs and tests. */
    readonly sshMessage: string,
  ) {
    super(message, reason === "host-key-changed" ? "Berth::HostKeyMismatch" : "Berth::SshConnectionError");
  }
}

/** The server refused to listen on a port for this machine (`AllowTcpForwarding no`, or the port is in use there). */
export class RemoteForwardRefused extends BerthError {
  constructor(
    readonly host: string,
    readonly remotePort: number,
    /** ssh's own words. */
    readonly sshMessage: string,
  ) {
    super(`${host} refused to forward its port ${remotePort} to this machine: ${sshMessage || "no message from ssh"}`, "Berth::RemoteForwardRefused");
  }
}

/** One host's failure inside a parallel run, prefixed like SSHKit's runner does. */
export class HostExecutionError extends BerthError {
  constructor(
    readonly host: string,
    readonly error: unknown,
  ) {
    super(`Exception while executing on host ${host}: ${messageOf(error)}`, "SSHKit::Runner::ExecuteError");
    this.cause = error;
  }
}

/** Every failing host of a parallel run, in host order, like Kamal's "Exceptions on N hosts:". */
export class MultipleHostsError extends BerthError {
  constructor(readonly failures: readonly HostExecutionError[]) {
    super(
      [`Exceptions on ${failures.length} hosts:`, ...failures.map((failure) => failure.message)].join("\n"),
      "SSHKit::Runner::ExecuteError",
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

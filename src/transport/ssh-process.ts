// The ssh client as a child process, and the control requests (`ssh -O check|forward|exit`) for a
// host's shared connection: said to its control socket directly (ssh-mux.ts), or by the ssh
// command where the master doesn't answer as expected.
import { BerthError } from "../util/errors.js";
import { runChild, type ChildOutcome, type ChildRequest } from "./child.js";
import { sshControlArgs, sshForwardArgs, type SshInvocation } from "./ssh-args.js";
import { muxRequest, type MuxRequest } from "./ssh-mux.js";

/** How an ssh process runs (its command, arguments and environment are given apart). */
export type SshProcessOptions = Omit<ChildRequest, "command" | "args" | "env">;

/** The control request's outcome as ssh's exit code and its words. */
export interface SshControlOutcome {
  code: number;
  stderr: string;
}

export function sshNotFound(): BerthError {
  return new BerthError("Cannot run ssh: no `ssh` on PATH. Berth uses your OpenSSH client; install it (e.g. openssh-client).");
}

export async function runSsh(env: NodeJS.ProcessEnv, args: string[], extra: SshProcessOptions = {}): Promise<ChildOutcome> {
  try {
    return await runChild({ command: "ssh", args, env, ...extra });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw sshNotFound();
    throw error;
  }
}

export async function sshControl(env: NodeJS.ProcessEnv, invocation: SshInvocation, request: MuxRequest): Promise<SshControlOutcome> {
  const answer = await muxRequest(invocation.controlPath, request);
  if (answer !== undefined) return answer.ok ? { code: 0, stderr: "" } : { code: 255, stderr: `${answer.message}\n` };
  const args = request.kind === "forward" ? sshForwardArgs(invocation, request.localSocket, request.remoteSocket) : sshControlArgs(invocation, request.kind);
  return runSsh(env, args);
}

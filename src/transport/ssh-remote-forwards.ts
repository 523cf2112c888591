// Loopback ports on a host forwarded to local unix sockets over its shared connection
// (`ssh -O forward -R`): requested once, and again on each connection opened later.
import { RemoteForwardRefused } from "./errors.js";
import { sshControlArgs, sshRemoteForwardArgs, type SshInvocation } from "./ssh-args.js";
import type { SshHostState } from "./ssh-host-state.js";
import { runSsh } from "./ssh-process.js";

export async function requestRemoteForward(env: NodeJS.ProcessEnv, state: SshHostState, invocation: SshInvocation, remotePort: number, localSocket: string): Promise<void> {
  const result = await runSsh(env, sshRemoteForwardArgs(invocation, remotePort, localSocket));
  if (result.code !== 0) {
    const message = result.stderr.split("\n").filter((line) => line.trim() !== "" && !/^muxclient: master forward request failed/.test(line)).join(" ").trim();
    throw new RemoteForwardRefused(state.parsed.original, remotePort, message.replace(/^mux_client_forward: forwarding request failed: /, "") || `ssh exited ${result.code}`);
  }
}

/** A new connection gets the forwards the host had; when one can't be had, the connection is closed again. */
export async function restoreRemoteForwards(env: NodeJS.ProcessEnv, state: SshHostState, invocation: SshInvocation): Promise<void> {
  try {
    for (const [port, socket] of state.remoteForwards) await requestRemoteForward(env, state, invocation, port, socket);
  } catch (error) {
    await runSsh(env, sshControlArgs(invocation, "exit")).catch(() => undefined);
    throw error;
  }
}

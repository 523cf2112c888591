// The control channel: JSON over HTTP on a unix socket local to the proxy container.
// POST /<command> with a JSON body; 200 {"ok":true,...} or 4xx/5xx {"error":"…"}.
import os from "node:os";
import path from "node:path";

export const PROTOCOL_VERSION = 1;

export type ControlCommand =
  | "deploy"
  | "remove"
  | "pause"
  | "resume"
  | "stop"
  | "list"
  | "rollout-deploy"
  | "rollout-set"
  | "rollout-stop"
  | "version";

/** kamal-proxy's socket path: $KAMAL_PROXY_SOCKET ‖ $XDG_RUNTIME_DIR/kamal-proxy.sock ‖ /tmp/kamal-proxy.sock. */
export function socketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KAMAL_PROXY_SOCKET) return env.KAMAL_PROXY_SOCKET;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, "kamal-proxy.sock");
  return path.join("/tmp", "kamal-proxy.sock");
}

/** ~/.config/kamal-proxy, where state and certificates live. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME && env.HOME !== "" ? env.HOME : os.homedir();
  return path.join(home, ".config", "kamal-proxy");
}

export function statePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), "kamal-proxy.state");
}

export function certificatePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), "certs");
}

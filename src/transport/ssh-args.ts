// The ssh command line for one host, from deploy.yml's settings and what the transport decided.
// Pure: golden tests pin it. Only what deploy.yml asks for (plus connection sharing, keepalive
// and a connect timeout) is passed; everything else is left to the user's own ssh config.
import { homedir } from "node:os";
import { DEFAULT_SSH_USER } from "../config/defaults.js";
import type { ParsedHost } from "./host.js";
import { sshLogLevel, type SshSettings } from "./ssh-settings.js";

export interface SshInvocation {
  settings: SshSettings;
  host: ParsedHost;
  controlPath: string;
  controlPersistSeconds: number;
  connectTimeoutSeconds: number;
  /** Never prompt (no terminal to prompt on, e.g. CI). */
  batchMode: boolean;
  /** The run's ssh config file (sshConfigFileContent): the user's config, then Berth's defaults. */
  configFile: string;
  /** The run's private agent holding `ssh.key_data`, with its keys' public halves as files. */
  agent?: { socket: string; publicKeyFiles: readonly string[] };
}

// A host that stops answering is given up after 3 keepalives 5 s apart (Kamal: every 30 s), so a
// deploy fails within seconds instead of minutes when a host drops off the network.
const KEEPALIVE_SECONDS = 5;
const KEEPALIVE_MISSES = 3;

/** Options for every ssh process of this host (commands, master start, control commands). */
export function sshOptionArgs(invocation: SshInvocation, controlMaster: "auto" | "yes" = "auto"): string[] {
  const { settings, host } = invocation;
  const args: string[] = ["-F", invocation.configFile];
  args.push(
    "-o", `ControlMaster=${controlMaster}`,
    "-o", `ControlPath=${invocation.controlPath}`,
    "-o", `ControlPersist=${invocation.controlPersistSeconds}`,
    "-o", `ServerAliveInterval=${KEEPALIVE_SECONDS}`,
    "-o", `ServerAliveCountMax=${KEEPALIVE_MISSES}`,
    "-o", `ConnectTimeout=${invocation.connectTimeoutSeconds}`,
  );
  if (invocation.batchMode) args.push("-o", "BatchMode=yes");
  const user = host.user ?? settings.user;
  if (user !== undefined) args.push("-l", user);
  const port = host.port ?? settings.port;
  if (port !== undefined) args.push("-p", String(port));
  if (settings.proxy !== undefined) {
    args.push("-J", settings.proxy.includes("@") ? settings.proxy : `root@${settings.proxy}`);
  } else if (settings.proxyCommand !== undefined) {
    args.push("-o", `ProxyCommand=${settings.proxyCommand}`);
  }
  for (const key of settings.keys ?? []) args.push("-i", expandHome(key));
  if (invocation.agent) {
    args.push("-o", `IdentityAgent=${invocation.agent.socket}`);
    for (const file of invocation.agent.publicKeyFiles) args.push("-i", file);
  }
  if (settings.keysOnly === true) args.push("-o", "IdentitiesOnly=yes");
  if (settings.logLevel !== undefined) args.push("-o", `LogLevel=${sshLogLevel(settings.logLevel)}`);
  if (settings.forwardAgent !== undefined) args.push("-o", `ForwardAgent=${settings.forwardAgent ? "yes" : "no"}`);
  return args;
}

/** Arguments that run `remoteCommand` (one string, parsed by the remote login shell) on the host. */
export function sshCommandArgs(invocation: SshInvocation, remoteCommand: string, options: { tty?: boolean } = {}): string[] {
  return [...sshOptionArgs(invocation), options.tty ? "-t" : "-T", "--", invocation.host.hostname, remoteCommand];
}

/** Opens the shared connection in the background once authenticated (`ssh -MNf`). */
export function sshMasterArgs(invocation: SshInvocation): string[] {
  return [...sshOptionArgs(invocation, "yes"), "-N", "-f", "--", invocation.host.hostname];
}

/**
 * Opens the shared connection and runs `remoteCommand` on it, with one ssh process: once
 * connected, ssh forks the master into the background (ControlPersist) and stays on as a client of
 * it for the command's session. Fails like `ssh -MNf` when the connection can't be made.
 */
export function sshMasterCommandArgs(invocation: SshInvocation, remoteCommand: string): string[] {
  return [...sshOptionArgs(invocation, "yes"), "-T", "--", invocation.host.hostname, remoteCommand];
}

/** `ssh -O check|exit` against the host's shared connection. */
export function sshControlArgs(invocation: SshInvocation, operation: "check" | "exit"): string[] {
  return [...sshOptionArgs(invocation), "-O", operation, "--", invocation.host.hostname];
}

/** `ssh -O forward -L local:remote`: a local unix socket forwarded to one on the host, over the shared connection. */
export function sshForwardArgs(invocation: SshInvocation, localSocket: string, remoteSocket: string): string[] {
  return [...sshOptionArgs(invocation), "-O", "forward", "-L", `${localSocket}:${remoteSocket}`, "--", invocation.host.hostname];
}

/**
 * `ssh -O forward -R 127.0.0.1:PORT:SOCKET`: the host's loopback port forwarded to a local unix
 * socket, over the shared connection (as Kamal forwards its local registry's port, on 127.0.0.1).
 */
export function sshRemoteForwardArgs(invocation: SshInvocation, remotePort: number, localSocket: string): string[] {
  return [...sshOptionArgs(invocation), "-O", "forward", "-R", `127.0.0.1:${remotePort}:${localSocket}`, "--", invocation.host.hostname];
}

/**
 * The run's ssh config file: what ssh would read anyway (or what `ssh.config` names), then
 * Berth's defaults in a `Host *` block. ssh keeps the first value it reads for each setting, so the
 * defaults apply only where the user's config leaves a setting unset: Kamal's user root, and
 * unknown host keys accepted once (a changed key stays a hard error). No `ssh -G` round trip is
 * needed to learn what the user's config says before connecting.
 */
export function sshConfigFileContent(config: SshSettings["config"]): string {
  const includes =
    config === false ? [] : config === undefined || config === true ? ["~/.ssh/config", "/etc/ssh/ssh_config"] : (Array.isArray(config) ? config : [config]).map(expandHome);
  return [
    ...includes.map((path) => `Include "${path}"`),
    "Host *",
    // Kamal's user when neither the host string, deploy.yml nor the user's ssh config name one.
    `  User ${DEFAULT_SSH_USER}`,
    "  StrictHostKeyChecking accept-new",
    "",
  ].join("\n");
}

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? `${homedir()}${path.slice(1)}` : path;
}

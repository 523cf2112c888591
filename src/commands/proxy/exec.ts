// Calls into the running proxy: `docker exec kamal-proxy kamal-proxy <command> <service> …`.
// Services are named `<svc>-<role>[-<dest>]` for app roles and `<accessory service>` for accessories.
import type { ProxyConfig } from "../../config/index.js";
import { PROXY_CONTAINER_NAME } from "../../config/index.js";
import { cmd, type Cmd } from "../../core/cmd.js";
import { docker, proxyArgv, proxyFlags } from "../shared.js";
import type { FlagValue } from "../shared.js";

/** `host:port` targets: one container id (Kamal) or several (load balancing). */
function targetsOf(targets: string | readonly string[], port: number): string[] {
  return (typeof targets === "string" ? [targets] : targets).map((target) => `${target}:${port}`);
}

/**
 * A call into the running proxy: `docker exec kamal-proxy kamal-proxy <words> <flags>`, or the same
 * call on the proxy's control socket (the run sends it there where that socket is open).
 */
export interface ProxyCall extends Cmd {
  readonly kind: "proxy-call";
  /** `kamal-proxy …`: the command inside the container, as a control-socket call is shown. */
  readonly proxyCommand: Cmd;
  /** Its arguments as the proxy's own CLI takes them on the control socket (no shell, no quotes). */
  readonly argv: readonly string[];
}

/** `docker exec kamal-proxy kamal-proxy <words> <flags>`: words are plain (command, service); flags are Kamal-quoted. */
function proxyCall(words: readonly string[], flags: Readonly<Record<string, FlagValue>> = {}): ProxyCall {
  const proxyCommand = cmd("kamal-proxy", ...words, proxyFlags(flags));
  return { kind: "proxy-call", parts: docker("exec", PROXY_CONTAINER_NAME, proxyCommand).parts, proxyCommand, argv: [...words, ...proxyArgv(flags)] };
}

/**
 * `kamal-proxy deploy <service> --target="<id>:<app_port>" …` with the proxy's options in Kamal's
 * order (hosts, TLS, timeouts, health check, buffering, path prefixes, headers, error pages).
 */
export function deploy(service: string, proxy: ProxyConfig, targets: string | readonly string[]): ProxyCall {
  return proxyCall(["deploy", service], { target: targetsOf(targets, proxy.appPort), ...proxy.deployOptions() });
}

/** `kamal-proxy remove <service>`: stops routing to the service (no drain). */
export function remove(service: string): ProxyCall {
  return proxyCall(["remove", service]);
}

/** `kamal-proxy stop <service> [--drain-timeout="Ns"] [--message="…"]`: maintenance mode (503). */
export function stop(service: string, { drainTimeout, message }: { drainTimeout?: number; message?: string } = {}): ProxyCall {
  return proxyCall(["stop", service], { "drain-timeout": drainTimeout === undefined ? undefined : `${drainTimeout}s`, message });
}

/** `kamal-proxy resume <service>`: back from maintenance. */
export function resume(service: string): ProxyCall {
  return proxyCall(["resume", service]);
}

/** `kamal-proxy list`: services, hosts, targets and states (Berth extension; Kamal never calls it). */
export function list(): ProxyCall {
  return proxyCall(["list"]);
}

/** `kamal-proxy rollout deploy <service> --target=… [--deploy-timeout] [--drain-timeout]` (Berth extension: canary targets). */
export function rolloutDeploy(service: string, proxy: ProxyConfig, targets: string | readonly string[]): ProxyCall {
  const options = proxy.deployOptions();
  const flags: Record<string, FlagValue> = {
    target: targetsOf(targets, proxy.appPort),
    "deploy-timeout": options["deploy-timeout"] as FlagValue,
    "drain-timeout": options["drain-timeout"] as FlagValue,
  };
  return proxyCall(["rollout", "deploy", service], flags);
}

/** `kamal-proxy rollout set <service> [--percent=N] [--list="a,b"]`: who gets the rollout targets. */
export function rolloutSet(service: string, { percent, allowlist }: { percent?: number; allowlist?: readonly string[] }): ProxyCall {
  if (percent === undefined && (allowlist === undefined || allowlist.length === 0)) {
    throw new TypeError("rollout set needs a percentage or an allowlist");
  }
  return proxyCall(["rollout", "set", service], { percent, list: allowlist && allowlist.length > 0 ? allowlist.join(",") : undefined });
}

/** `kamal-proxy rollout stop <service>`: all traffic back to the active targets. */
export function rolloutStop(service: string): ProxyCall {
  return proxyCall(["rollout", "stop", service]);
}

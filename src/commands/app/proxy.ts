// The app role's side of the proxy: register the new container, maintenance mode, TLS files.
import type { Configuration, ProxyConfig, Role } from "../../config/index.js";
import { PROXY_CONTAINER_NAME } from "../../config/index.js";
import type { Cmd } from "../../core/cmd.js";
import * as proxyExec from "../proxy/exec.js";
import { docker, makeDirectoryFor, removeDirectory } from "../shared.js";

function proxyOf(role: Role): ProxyConfig {
  const proxy = role.proxy;
  if (!proxy) throw new TypeError(`role ${role.name} does not run behind the proxy`);
  return proxy;
}

/** `docker exec kamal-proxy kamal-proxy deploy <svc-role[-dest]> --target="<container id>:<app_port>" …` */
export function deploy(_config: Configuration, role: Role, targets: string | readonly string[]): proxyExec.ProxyCall {
  return proxyExec.deploy(role.containerPrefix, proxyOf(role), targets);
}

/** `… kamal-proxy remove <svc-role[-dest]>` */
export function remove(_config: Configuration, role: Role): Cmd {
  return proxyExec.remove(role.containerPrefix);
}

/** `… kamal-proxy resume <svc-role[-dest]>` (`kamal app live`) */
export function live(_config: Configuration, role: Role): Cmd {
  return proxyExec.resume(role.containerPrefix);
}

/** `… kamal-proxy stop <svc-role[-dest]> [--drain-timeout="Ns"] [--message="…"]` (`kamal app maintenance`) */
export function maintenance(_config: Configuration, role: Role, options: { drainTimeout?: number; message?: string } = {}): Cmd {
  return proxyExec.stop(role.containerPrefix, options);
}

/** `… kamal-proxy rollout deploy <svc-role[-dest]> --target=…` (Berth extension). */
export function rolloutDeploy(_config: Configuration, role: Role, targets: string | readonly string[]): Cmd {
  return proxyExec.rolloutDeploy(role.containerPrefix, proxyOf(role), targets);
}

/** `rm -r .kamal/proxy/apps-config/<svc>[-dest]` */
export function removeProxyAppDirectory(config: Configuration): Cmd {
  return removeDirectory(config.proxyBoot.appDirectory);
}

/** `mkdir -p <role's tls directory>` before the custom certificate is uploaded. */
export function createSslDirectory(_config: Configuration, role: Role): Cmd {
  const certificate = proxyOf(role).customCertificate;
  if (!certificate) throw new TypeError(`role ${role.name} has no custom certificate`);
  return makeDirectoryFor(certificate.hostCertificatePath);
}

/** Lets the proxy (running as its own user) read the uploaded PEM files. */
export function setCertificatePermissions(config: Configuration): Cmd {
  return docker("exec", "--user", "root", PROXY_CONTAINER_NAME, "chown", "-R", "kamal-proxy:kamal-proxy", config.proxyBoot.tlsContainerDirectory);
}

// Registry login/logout, the local registry container Kamal leaves, and the hosts' listening ports
// (why a local registry's forward was refused). Unlike Kamal (`-p <password>`), the password goes
// on standard input (`--password-stdin`), so it never appears in a process list.
import type { Registry } from "../config/index.js";
import { Redacted, cmd, combine, quote, withStdin } from "../core/cmd.js";
import type { Cmd } from "../core/cmd.js";
import { docker } from "./shared.js";

/** Kamal's local registry container (Berth starts none: it serves a local registry's images itself). */
const LOCAL_REGISTRY_CONTAINER = "kamal-docker-registry";

/** `docker login [server] -u [REDACTED] --password-stdin`, the password in `stdin`. Secrets are looked up here. */
export function login(registry: Registry): Cmd {
  const username = registry.username();
  const password = registry.password();
  const command = docker("login", registry.server ?? null, "-u", new Redacted(quote(username.value)), "--password-stdin");
  return withStdin(command, new Redacted(password.value));
}

/** `docker logout [server]` */
export function logout(registry: Registry): Cmd {
  return docker("logout", registry.server ?? null);
}

/** `docker stop kamal-docker-registry && docker rm kamal-docker-registry` */
export function removeLocal(): Cmd {
  return combine(docker("stop", LOCAL_REGISTRY_CONTAINER), docker("rm", LOCAL_REGISTRY_CONTAINER));
}

/**
 * The host's TCP sockets (`/proc/net/tcp` and `tcp6`), read when it refused a local registry's
 * forward: a socket listening on the port means the port is taken, else sshd forbids forwarding.
 */
export function tcpSockets(): Cmd {
  return cmd("cat", "/proc/net/tcp", "/proc/net/tcp6", "2>/dev/null");
}

// Registry login/logout and the local registry container. Unlike Kamal (`-p <password>`), the
// password goes on standard input (`--password-stdin`), so it never appears in a process list.
import type { Configuration, Registry } from "../config/index.js";
import { Redacted, any, combine, quote, withStdin } from "../core/cmd.js";
import type { Cmd } from "../core/cmd.js";
import { docker } from "./shared.js";

const LOCAL_REGISTRY_CONTAINER = "kamal-docker-registry";
const LOCAL_REGISTRY_IMAGE = "registry:3";

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

/** Starts the local registry (`registry.server: localhost:PORT`), creating it on first use, bound to loopback only. */
export function setupLocal(config: Configuration): Cmd {
  const port = config.registry.localPort;
  if (port === undefined) throw new TypeError("the registry is not a local one (localhost:PORT)");
  return any(
    docker("start", LOCAL_REGISTRY_CONTAINER),
    docker("run", "--detach", "-p", `127.0.0.1:${port}:5000`, "--name", LOCAL_REGISTRY_CONTAINER, LOCAL_REGISTRY_IMAGE),
  );
}

/** `docker stop kamal-docker-registry && docker rm kamal-docker-registry` */
export function removeLocal(): Cmd {
  return combine(docker("stop", LOCAL_REGISTRY_CONTAINER), docker("rm", LOCAL_REGISTRY_CONTAINER));
}


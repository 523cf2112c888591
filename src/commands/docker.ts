// Docker on the hosts: is it there and running, may we install it, and the shared network.
import { any, cmd, pipe, shell } from "../core/cmd.js";
import type { Cmd } from "../core/cmd.js";
import { docker } from "./shared.js";

/** `docker -v`: fails when Docker is not installed. */
export function installed(): Cmd {
  return docker("-v");
}

/** `docker version`: fails when the daemon isn't running (or isn't reachable by this user). */
export function running(): Cmd {
  return docker("version");
}

/** Root, or passwordless sudo that may run usermod: enough to install Docker. */
export function superuser(): Cmd {
  return cmd('[ "${EUID:-$(id -u)}" -eq 0 ]', "||", "sudo", "-nl", "usermod", ">/dev/null");
}

/** `[ "${EUID:-$(id -u)}" -eq 0 ]` */
export function root(): Cmd {
  return cmd('[ "${EUID:-$(id -u)}" -eq 0 ]');
}

/** Whether the SSH user is in the `docker` group. */
export function inDockerGroup(): Cmd {
  return pipe(cmd("id", "-nG", '"${USER:-$(id -un)}"'), cmd("grep", "-qw", "docker"));
}

/** `sudo -n usermod -aG docker "${USER:-$(id -un)}"` */
export function addToDockerGroup(): Cmd {
  return cmd("sudo", "-n", "usermod", "-aG", "docker", '"${USER:-$(id -un)}"');
}

/** `kill -HUP $PPID`: ends the SSH session so the next one picks up the new group. */
export function refreshSession(): Cmd {
  return cmd("kill", "-HUP", "$PPID");
}

/** Installs Docker with get.docker.com: `sh -c 'curl -fsSL … || wget -O - … || echo "exit 1"' | sh`. */
export function install(): Cmd {
  return pipe(
    shell(any(cmd("curl", "-fsSL", "https://get.docker.com"), cmd("wget", "-O -", "https://get.docker.com"), cmd("echo", '"exit 1"'))),
    cmd("sh"),
  );
}

/** `docker network create kamal` (an "already exists" failure is fine). */
export function createNetwork(): Cmd {
  return docker("network", "create", "kamal");
}

/** `docker network rm kamal` (Berth's `remove` where no app is left; Kamal leaves the network). */
export function removeNetwork(): Cmd {
  return docker("network", "rm", "kamal");
}

/** Kamal's test for the harmless failure of `createNetwork`. */
export function isNetworkExistsError(output: string): boolean {
  return /already exists/.test(output);
}

// Kamal 1 → 2 (`upgrade`, `proxy upgrade`): Kamal 1's Traefik container makes way for
// kamal-proxy. Kamal stops Traefik first, then boots the proxy and the app. Berth first boots
// the proxy without its ports (staged) and the app into it while Traefik still serves, then
// swaps Traefik for the proxy with its ports (src/deploy/upgrade.ts); these are its commands.
import type { Configuration } from "../config/index.js";
import { PROXY_CONFIG_VOLUME, PROXY_CONTAINER_NAME } from "../config/index.js";
import { cmd, combine, pipe, substitute, type Cmd } from "../core/cmd.js";
import { readImage, readImageVersion, readRunCommand, runCommand } from "./proxy/container.js";
import { docker, xargs } from "./shared.js";

/** Kamal 1's Traefik container (`kamal traefik boot`). */
export const TRAEFIK_CONTAINER = "traefik";
/** The label Traefik's image carries, which Kamal's removal filters on. */
const TRAEFIK_FILTER = "label=org.opencontainers.image.title=Traefik";

/** `docker ps --quiet --filter 'name=^traefik$'`: prints Traefik's id where it runs. */
export function traefikRunning(): Cmd {
  return docker("ps", "--quiet", "--filter", `'name=^${TRAEFIK_CONTAINER}$'`);
}

/** `docker container stop traefik` (the first half of Kamal's cleanup_traefik). */
export function stopTraefik(): Cmd {
  return docker("container", "stop", TRAEFIK_CONTAINER);
}

/** `docker container start traefik`: Traefik back where the proxy couldn't take its ports. */
export function startTraefik(): Cmd {
  return docker("container", "start", TRAEFIK_CONTAINER);
}

/** Traefik's container and image, as Kamal removes them (the second half of cleanup_traefik). */
export function removeTraefik(): Cmd {
  return combine(docker("container", "prune", "--force", "--filter", TRAEFIK_FILTER), docker("image", "prune", "--all", "--force", "--filter", TRAEFIK_FILTER));
}

/** `docker run --name kamal-proxy --network kamal --detach --volume kamal-proxy-config:…` */
function stagedRunBase(): Cmd {
  return docker("run", "--name", PROXY_CONTAINER_NAME, "--network", "kamal", "--detach", "--volume", PROXY_CONFIG_VOLUME);
}

/**
 * The host's proxy (its image, command, config volume and apps-config mount) without published
 * ports, options or restart policy: it takes deploys while Traefik still holds ports 80 and
 * 443, and gives its saved routes to the proxy that replaces it. `config` is the host's view
 * (src/deploy/proxy-image.ts) so that the image is the one `proxy boot` would run.
 */
export function stagedProxyRun(config: Configuration, host: string): Cmd {
  const run = config.proxyRun(host);
  if (run) return cmd(stagedRunBase(), "--volume", run.appsVolume, run.image, runCommand(run));
  const boot = config.proxyBoot;
  const line = cmd("echo", `${substitute(readImage(config))}:${substitute(readImageVersion(config))} ${substitute(readRunCommand(config))}`);
  return pipe(line, xargs(cmd(stagedRunBase(), "--volume", `$PWD/${boot.appsDirectory}:${boot.appsContainerDirectory}`)));
}

/** `docker container rm --force kamal-proxy`: the staged proxy out of the way (it serves no port). */
export function removeStagedProxy(): Cmd {
  return docker("container", "rm", "--force", PROXY_CONTAINER_NAME);
}

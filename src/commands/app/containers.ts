// Listing, renaming and removing app containers, and what to show when one fails its health check.
import type { Configuration, Role } from "../../config/index.js";
import { pipe } from "../../core/cmd.js";
import type { Cmd } from "../../core/cmd.js";
import { containerRename, type ContainerRename } from "../container.js";
import { containerIdFor, docker, requireHex, xargs } from "../shared.js";
import { stopArgs } from "./core.js";
import { containerFilterArgs } from "./filters.js";

const DOCKER_HEALTH_LOG_FORMAT = "'{{json .State.Health}}'";

/** `docker container ls --all --filter …` */
export function listContainers(config: Configuration, role: Role): Cmd {
  return docker("container", "ls", "--all", containerFilterArgs(config, role));
}

/** `docker container ls --all --filter label=service=… --filter label=destination=…`: every role's containers. */
export function listAllContainers(config: Configuration): Cmd {
  return docker("container", "ls", "--all", containerFilterArgs(config, undefined));
}

/** `docker ps --quiet --filter … | xargs docker stop [-t N]`: every running container of the role (`berth remove` leaves none). */
export function stopAll(config: Configuration, role: Role): Cmd {
  return pipe(docker("ps", "--quiet", containerFilterArgs(config, role)), xargs(docker("stop", stopArgs(role))));
}

/** `docker container ls --all --filter … --format '{{ .Names }}'` */
export function listContainerNames(config: Configuration, role: Role): Cmd {
  return docker("container", "ls", "--all", containerFilterArgs(config, role), "--format", "'{{ .Names }}'");
}

/** `docker container ls --all --filter 'name=^…$' --quiet | xargs docker container rm` */
export function removeContainer(_config: Configuration, role: Role, version: string): Cmd {
  return pipe(containerIdFor(role.containerName(version)), xargs(docker("container", "rm")));
}

/** `docker container prune --force --filter …`: every stopped container of the role. */
export function removeContainers(config: Configuration, role: Role): Cmd {
  return docker("container", "prune", "--force", containerFilterArgs(config, role));
}

/** The name a clashing container is moved to: `<version>_replaced_<16 hex>`. */
export function replacedVersion(version: string, random: string): string {
  return `${version}_replaced_${requireHex(random, 16, "replaced-version suffix")}`;
}

/** `docker rename <name> <name for new version>` (moves an old container of the same version aside). */
export function renameContainer(_config: Configuration, role: Role, version: string, newVersion: string): ContainerRename {
  return containerRename(role.containerName(version), role.containerName(newVersion));
}

/** `… | xargs docker inspect --format '{{json .State.Health}}'`: the health check's last results. */
export function containerHealthLog(_config: Configuration, role: Role, version: string): Cmd {
  return pipe(containerIdFor(role.containerName(version)), xargs(docker("inspect", "--format", DOCKER_HEALTH_LOG_FORMAT)));
}

// The app container's life: run, start, stop, status and the lookups the deploy flow needs
// (Kamal's Commands::App).
import type { Configuration, Role } from "../../config/index.js";
import { argumentize, pipe } from "../../core/cmd.js";
import type { Cmd, Part, Redacted } from "../../core/cmd.js";
import { containerRun, containerStatus, containerStop, type ContainerRun, type ContainerStatus, type ContainerStop } from "../container.js";
import { containerIdFor, docker, makeDirectory, requireHex, xargs } from "../shared.js";
import { containerFilterArgs, currentRunningContainer, extractVersionFromName } from "./filters.js";

/** The version to act on: the configured one unless given. */
function versionOf(config: Configuration, version: string | undefined): string {
  return version ?? config.version;
}

/**
 * The container hostname: the host cut to 51 characters (without a trailing dot) plus 12 random
 * hex digits, so two containers never share a hostname. `random` is `randomBytes(6).toString("hex")`.
 */
export function hostname(host: string, random: string): string {
  return `${host.slice(0, 51).replace(/\.$/, "")}-${requireHex(random, 12, "hostname suffix")}`;
}

/** `--env K="v" … --env-file <role env file>`: clear env on the line, secrets from the uploaded file. */
export function envArgs(role: Role, host: string): Part[] {
  return [...argumentize("--env", role.env(host).clear), "--env-file", role.envFilePath];
}

export interface RunOptions {
  /** The host the container runs on (`KAMAL_HOST`, and the role's host tags). */
  readonly host: string;
  /** From `hostname(host, random)`; Kamal always sets one when booting. */
  readonly hostname?: string;
  readonly version?: string;
  /** The role's env file content (`env-file.ts`), uploaded just before: the API rendering passes its entries. */
  readonly envFile?: Redacted;
}

/** `docker run --detach --restart … --name <svc-role[-dest]-version> --network kamal …` */
export function run(config: Configuration, role: Role, { host, hostname: name, version, envFile }: RunOptions): ContainerRun {
  const containerName = role.containerName(versionOf(config, version));
  const assetVolume = role.assetVolume(version);
  return containerRun({
    name: containerName,
    image: version === undefined ? config.absoluteImage : `${config.repository}:${version}`,
    restart: role.restartPolicy,
    network: "kamal",
    ...(name === undefined ? {} : { hostname: name }),
    env: [
      ["KAMAL_CONTAINER_NAME", containerName],
      ["KAMAL_VERSION", versionOf(config, version)],
      ["KAMAL_HOST", host],
      ...(config.destination === undefined ? [] : [["KAMAL_DESTINATION", config.destination] as const]),
      ...Object.entries(role.env(host).clear),
    ],
    envFile: { path: role.envFilePath, ...(envFile === undefined ? {} : { content: envFile }) },
    logging: role.logging,
    volumes: [...config.volumes, ...(assetVolume ? [assetVolume.dockerArg] : [])],
    labels: role.labels,
    options: role.options,
    ...(role.cmd === undefined ? {} : { cmd: role.cmd }),
  });
}

/** `docker start <container>` */
export function start(config: Configuration, role: Role, version?: string): Cmd {
  return docker("start", role.containerName(versionOf(config, version)));
}

/** `-t <seconds>` when the role has a stop timeout (non-proxied roles default to the drain timeout). */
export function stopArgs(role: Role): Part[] {
  return role.stopTimeout === undefined ? [] : ["-t", role.stopTimeout];
}

/** Stops a version's container, or the current one: `… | xargs docker stop [-t N]`. */
export function stop(config: Configuration, role: Role, { version }: { version?: string } = {}): Cmd {
  const source = version === undefined ? currentRunningContainerId(config, role) : containerIdForVersion(config, role, version);
  return pipe(source, xargs(docker("stop", stopArgs(role))));
}

/** `docker stop [-t N] <svc-role[-dest]-version>`: a container the deploy knows by name (Kamal looks its id up first). */
export function stopByName(_config: Configuration, role: Role, version: string): ContainerStop {
  return containerStop(role.containerName(version), role.stopTimeout);
}

/** `… | xargs docker inspect --format '<health or state>'`: `healthy`, `running`, `exited`… */
export function status(_config: Configuration, role: Role, version: string): ContainerStatus {
  return containerStatus(role.containerName(version));
}

/** `docker ps --filter label=service=… --filter label=destination=… --filter label=role=…` */
export function info(config: Configuration, role: Role): Cmd {
  return docker("ps", containerFilterArgs(config, role));
}

export function currentRunningContainerId(config: Configuration, role: Role): Cmd {
  return currentRunningContainer(config, role, ["--quiet"]);
}

/** The version of the current container (empty output when none runs). */
export function currentRunningVersion(config: Configuration, role: Role): Cmd {
  return pipe(currentRunningContainer(config, role, ["--format", "'{{.Names}}'"]), extractVersionFromName(role));
}

export function containerIdForVersion(_config: Configuration, role: Role, version: string, { onlyRunning = false } = {}): Cmd {
  return containerIdFor(role.containerName(version), { onlyRunning });
}

/** Versions of the role's containers, one a line: `docker ps … --format "{{.Names}}" | while read …`. */
export function listVersions(config: Configuration, role: Role, { latest = false, statuses = [] }: { latest?: boolean; statuses?: readonly string[] } = {}): Cmd {
  return pipe(
    docker("ps", containerFilterArgs(config, role, statuses), latest ? "--latest" : null, "--format", '"{{.Names}}"'),
    extractVersionFromName(role),
  );
}

/** Versions still running besides the current one (`kamal app stale_containers`). */
export function staleVersions(runningVersions: readonly string[], currentVersion: string | undefined): string[] {
  return runningVersions.map((version) => version.trim()).filter((version) => version !== "" && version !== currentVersion);
}

/** `mkdir -p .kamal/apps/<svc>/env/roles` before the env file is uploaded. */
export function ensureEnvDirectory(role: Role): Cmd {
  return makeDirectory(role.envDirectory);
}


// The proxy container on each host (Kamal's Commands::Proxy): one `kamal-proxy` container per
// host, shared by every app deployed there, with its state in the `kamal-proxy-config` volume.
import type { Configuration, ProxyRun } from "../../config/index.js";
import { PROXY_CONFIG_VOLUME, PROXY_CONTAINER_NAME } from "../../config/index.js";
import { any, argumentize, chain, cmd, combine, optionize, pipe } from "../../core/cmd.js";
import type { Cmd, Part } from "../../core/cmd.js";
import { containerIdFor, docker, grepDoubleQuoted, grepSingleQuoted, makeDirectory, pipeSome, removeDirectory, removeFile, xargs } from "../shared.js";

const IMAGE_TITLE_FILTER = "label=org.opencontainers.image.title=kamal-proxy";

/** `docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:…` */
function dockerRunBase(): Part[] {
  return ["docker", "run", "--name", PROXY_CONTAINER_NAME, "--network", "kamal", "--detach", "--restart", "unless-stopped", "--volume", PROXY_CONFIG_VOLUME];
}

/** `--volume <apps-config> --publish … --log-opt max-size=… [--expose=M] [options]`, Kamal's order. */
function runDockerOptions(run: ProxyRun): Part[] {
  return [
    "--volume",
    run.appsVolume,
    ...argumentize("--publish", run.publishPorts),
    ...(run.logMaxSize === undefined ? [] : ["--log-opt", `max-size=${run.logMaxSize}`]),
    ...(run.metricsPort === undefined ? [] : [`--expose=${run.metricsPort}`]),
    ...optionize(run.options),
  ];
}

/** `kamal-proxy run [--debug] [--metrics-port "M"]` */
export function runCommand(run: ProxyRun): Part[] {
  return ["kamal-proxy", "run", ...optionize(run.runCommandOptions())];
}

/**
 * Starts a new proxy container: from `proxy.run` when the host's roles/accessories configure it,
 * else from the files under `.kamal/proxy/` (`kamal proxy boot_config`), as Kamal 2 does.
 */
export function run(config: Configuration, host: string): Cmd {
  const proxyRun = config.proxyRun(host);
  if (proxyRun) return cmd(dockerRunBase(), runDockerOptions(proxyRun), proxyRun.image, runCommand(proxyRun));
  return pipe(bootConfig(config), xargs(cmd(dockerRunBase(), "--volume", `$PWD/${config.proxyBoot.appsDirectory}:${config.proxyBoot.appsContainerDirectory}`)));
}

/** `docker container start kamal-proxy` */
export function start(): Cmd {
  return docker("container", "start", PROXY_CONTAINER_NAME);
}

/** `docker container stop kamal-proxy` */
export function stop(name: string = PROXY_CONTAINER_NAME): Cmd {
  return docker("container", "stop", name);
}

/** `docker container start kamal-proxy || <run>`: idempotent boot. */
export function startOrRun(config: Configuration, host: string): Cmd {
  return any(start(), run(config, host));
}

/** `docker ps --filter 'name=^kamal-proxy$'` */
export function info(): Cmd {
  return docker("ps", "--filter", `'name=^${PROXY_CONTAINER_NAME}$'`);
}

/** The running proxy's image tag: `docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'`. */
export function version(): Cmd {
  return pipe(docker("inspect", PROXY_CONTAINER_NAME, "--format '{{.Config.Image}}'"), cmd("awk", "-F:", "'{print $NF}'"));
}

/** The proxy container's id. */
export function containerId(): Cmd {
  return containerIdFor(PROXY_CONTAINER_NAME);
}

export interface ProxyLogOptions {
  readonly timestamps?: boolean;
  readonly since?: string;
  readonly lines?: number | string;
  readonly grep?: string;
  readonly grepOptions?: string;
}

/** `docker logs kamal-proxy [--since S] [--tail N] [--timestamps] 2>&1 [| grep 'G']` */
export function logs({ timestamps = true, since, lines, grep, grepOptions }: ProxyLogOptions = {}): Cmd {
  return pipeSome(
    docker("logs", PROXY_CONTAINER_NAME, since === undefined ? null : ["--since", since], lines === undefined ? null : ["--tail", lines], timestamps ? "--timestamps" : null, "2>&1"),
    grepSingleQuoted(grep, grepOptions),
  );
}

/** The remote side of `proxy logs --follow`: `docker logs kamal-proxy [--timestamps] --tail 10 --follow 2>&1 [| grep "G"]`. */
export function followLogs({ timestamps = true, grep, grepOptions }: Omit<ProxyLogOptions, "since" | "lines"> = {}): Cmd {
  return pipeSome(docker("logs", PROXY_CONTAINER_NAME, timestamps ? "--timestamps" : null, "--tail", "10", "--follow", "2>&1"), grepDoubleQuoted(grep, grepOptions));
}

/** `docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy` */
export function removeContainer(): Cmd {
  return docker("container", "prune", "--force", "--filter", IMAGE_TITLE_FILTER);
}

/** `docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy` */
export function removeImage(): Cmd {
  return docker("image", "prune", "--all", "--force", "--filter", IMAGE_TITLE_FILTER);
}

/** Kamal 1's Traefik, removed by `proxy upgrade`. */
export function cleanupTraefik(): Cmd {
  const filter = "label=org.opencontainers.image.title=Traefik";
  return chain(docker("container", "stop", "traefik"), combine(docker("container", "prune", "--force", "--filter", filter), docker("image", "prune", "--all", "--force", "--filter", filter)));
}

/** `mkdir -p .kamal/proxy` */
export function ensureProxyDirectory(config: Configuration): Cmd {
  return makeDirectory(config.proxyBoot.hostDirectory);
}

/** `rm -r .kamal/proxy` */
export function removeProxyDirectory(config: Configuration): Cmd {
  return removeDirectory(config.proxyBoot.hostDirectory);
}

/** `mkdir -p .kamal/proxy/apps-config` (mounted into the proxy; must exist before it starts). */
export function ensureAppsConfigDirectory(config: Configuration): Cmd {
  return makeDirectory(config.proxyBoot.appsDirectory);
}

/** `cat <file> 2> /dev/null || echo "<default>"` */
function readFile(file: string, fallback = ""): Cmd {
  return any(cmd("cat", file, "2>", "/dev/null"), cmd("echo", `"${fallback}"`));
}

export function readBootOptions(config: Configuration): Cmd {
  return readFile(config.proxyBoot.optionsFile, config.proxyBoot.defaultBootOptions.join(" "));
}

export function readImage(config: Configuration): Cmd {
  return readFile(config.proxyBoot.imageFile, config.proxyBoot.imageDefault);
}

export function readImageVersion(config: Configuration): Cmd {
  return readFile(config.proxyBoot.imageVersionFile, config.proxyBoot.minimumVersion);
}

export function readRunCommand(config: Configuration): Cmd {
  return readFile(config.proxyBoot.runCommandFile);
}

const sub = (command: Cmd): string => `$(${command.parts.map(String).join(" ")})`;

/** `echo $(options) $(image):$(version) $(run command)`: the legacy boot configuration, one line. */
export function bootConfig(config: Configuration): Cmd {
  return cmd("echo", `${sub(readBootOptions(config))} ${sub(readImage(config))}:${sub(readImageVersion(config))} ${sub(readRunCommand(config))}`);
}

export function resetBootOptions(config: Configuration): Cmd {
  return removeFile(config.proxyBoot.optionsFile);
}

export function resetImage(config: Configuration): Cmd {
  return removeFile(config.proxyBoot.imageFile);
}

export function resetImageVersion(config: Configuration): Cmd {
  return removeFile(config.proxyBoot.imageVersionFile);
}

export function resetRunCommand(config: Configuration): Cmd {
  return removeFile(config.proxyBoot.runCommandFile);
}

/** `docker pull <proxy image>` (with `proxy.run`, else the image the boot files name). */
export function pull(config: Configuration, host: string): Cmd {
  const proxyRun = config.proxyRun(host);
  return docker("pull", proxyRun ? proxyRun.image : `${sub(readImage(config))}:${sub(readImageVersion(config))}`);
}

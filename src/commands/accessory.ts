// Commands for accessories (Kamal's Commands::Accessory): databases, caches and other services
// run from their own image next to the app, one container `<service>-<name>` per host.
import type { Accessory, AccessoryDirectory, AccessoryFile, Configuration, ProxyConfig } from "../config/index.js";
import { argumentize, cmd, optionize } from "../core/cmd.js";
import type { Cmd, Part } from "../core/cmd.js";
import type { Interactive } from "./app/execution.js";
import * as proxyExec from "./proxy/exec.js";
import { changeMode, changeOwner, containerIdFor, docker, grepDoubleQuoted, grepSingleQuoted, makeDirectory, makeDirectoryFor, pipeSome } from "./shared.js";

function serviceFilter(accessory: Accessory): Part[] {
  return ["--filter", `label=service=${accessory.serviceName}`];
}

/** `--env K="v" … --env-file .kamal/apps/<svc>/env/accessories/<name>.env` */
function envArgs(accessory: Accessory): Part[] {
  return [...argumentize("--env", accessory.resolvedEnv().clear), "--env-file", accessory.envFilePath];
}

function volumeArgs(accessory: Accessory): Part[] {
  return argumentize("--volume", accessory.volumes);
}

function publishArgs(accessory: Accessory): Part[] {
  return accessory.port === undefined ? [] : ["--publish", accessory.port];
}

/** `docker run --name <svc> --detach --restart … --network … <logging> [--publish] --env KAMAL_HOST=… <env> <volumes> <labels> <options> <image> [cmd]` */
export function run(config: Configuration, accessory: Accessory, { host }: { host?: string } = {}): Cmd {
  return docker(
    "run",
    "--name",
    accessory.serviceName,
    "--detach",
    "--restart",
    accessory.restartPolicy,
    "--network",
    accessory.network,
    config.logging.args(),
    publishArgs(accessory),
    host === undefined ? null : argumentize("--env", { KAMAL_HOST: host }),
    envArgs(accessory),
    volumeArgs(accessory),
    argumentize("--label", accessory.labels),
    optionize(accessory.options),
    accessory.image,
    accessory.cmd ?? null,
  );
}

/** `docker container start <svc>` */
export function start(accessory: Accessory): Cmd {
  return docker("container", "start", accessory.serviceName);
}

/** `docker container stop <svc>` */
export function stop(accessory: Accessory): Cmd {
  return docker("container", "stop", accessory.serviceName);
}

/** `docker ps [-a] [-q] --filter label=service=<svc>`; `{ all, quiet }` tells whether one exists at all. */
export function info(accessory: Accessory, { all = false, quiet = false }: { all?: boolean; quiet?: boolean } = {}): Cmd {
  return docker("ps", all ? "-a" : null, quiet ? "-q" : null, serviceFilter(accessory));
}

/** The accessory container's id (running only by default, as the proxy target lookup wants). */
export function containerId(accessory: Accessory, { onlyRunning = true }: { onlyRunning?: boolean } = {}): Cmd {
  return containerIdFor(accessory.serviceName, { onlyRunning });
}

export interface AccessoryLogOptions {
  readonly timestamps?: boolean;
  readonly since?: string;
  readonly lines?: number | string;
  readonly grep?: string;
  readonly grepOptions?: string;
}

/** `docker logs <svc> [--since S] [--tail N] [--timestamps] 2>&1 [| grep 'G' opts]` */
export function logs(accessory: Accessory, { timestamps = true, since, lines, grep, grepOptions }: AccessoryLogOptions = {}): Cmd {
  return pipeSome(
    docker("logs", accessory.serviceName, since === undefined ? null : ["--since", since], lines === undefined ? null : ["--tail", lines], timestamps ? "--timestamps" : null, "2>&1"),
    grepSingleQuoted(grep, grepOptions),
  );
}

/** The remote side of `accessory logs --follow`: `docker logs <svc> [--timestamps] [--since S] --tail N --follow 2>&1 [| grep "G"]`. */
export function followLogs(accessory: Accessory, { timestamps = true, since, lines = 10, grep, grepOptions }: AccessoryLogOptions = {}): Cmd {
  return pipeSome(
    docker("logs", accessory.serviceName, timestamps ? "--timestamps" : null, since === undefined ? null : ["--since", since], "--tail", lines, "--follow", "2>&1"),
    grepDoubleQuoted(grep, grepOptions),
  );
}

function interactiveArgs(interactive: Interactive): string | null {
  return interactive === "tty" ? "-it" : interactive === "pipe" ? "-i" : null;
}

/** `docker exec [-it] <svc> <command>` */
export function execInExistingContainer(accessory: Accessory, command: string, { interactive = false }: { interactive?: Interactive } = {}): Cmd {
  return docker("exec", interactiveArgs(interactive), accessory.serviceName, command);
}

/** `docker run [-it] --rm --network … <env> <volumes> <options> <image> <command>` */
export function execInNewContainer(accessory: Accessory, command: string, { interactive = false }: { interactive?: Interactive } = {}): Cmd {
  return docker("run", interactiveArgs(interactive), "--rm", "--network", accessory.network, envArgs(accessory), volumeArgs(accessory), optionize(accessory.options), accessory.image, command);
}

/** `docker image pull <image>` */
export function pullImage(accessory: Accessory): Cmd {
  return docker("image", "pull", accessory.image);
}

/** `docker container prune --force --filter label=service=<svc>` */
export function removeContainer(accessory: Accessory): Cmd {
  return docker("container", "prune", "--force", serviceFilter(accessory));
}

/** `docker image rm --force <image>` */
export function removeImage(accessory: Accessory): Cmd {
  return docker("image", "rm", "--force", accessory.image);
}

/** `rm -f <env file>`: the accessory's secrets don't stay behind (Berth; Kamal leaves the file). */
export function removeEnvFile(accessory: Accessory): Cmd {
  return cmd("rm", "-f", accessory.envFilePath);
}

/** `docker volume rm <name>`: a named volume of the accessory (Berth; fails harmlessly while another container uses it). */
export function removeVolume(name: string): Cmd {
  return docker("volume", "rm", name);
}

/** `rm -rf <svc>`: uploaded files and data directories. */
export function removeServiceDirectory(accessory: Accessory): Cmd {
  return cmd("rm", "-rf", accessory.serviceName);
}

/** `mkdir -p .kamal/apps/<svc>/env/accessories` before the env file is uploaded. */
export function ensureEnvDirectory(accessory: Accessory): Cmd {
  return makeDirectory(accessory.envDirectory);
}

/** Around an uploaded file: its directory first, then `chmod <mode>` and `chown <owner>` after the upload. */
export function fileCommands(file: AccessoryFile): { readonly before: Cmd[]; readonly after: Cmd[] } {
  return {
    before: [makeDirectoryFor(file.hostPath)],
    after: [changeMode(file.hostPath, file.mode), ...(file.owner === undefined ? [] : [changeOwner(file.hostPath, file.owner)])],
  };
}

/** `mkdir -p <dir>` then `chmod`/`chown` when set. */
export function directoryCommands(directory: AccessoryDirectory): Cmd[] {
  return [
    makeDirectory(directory.hostPath),
    ...(directory.mode === undefined ? [] : [changeMode(directory.hostPath, directory.mode)]),
    ...(directory.owner === undefined ? [] : [changeOwner(directory.hostPath, directory.owner)]),
  ];
}

function proxyOf(accessory: Accessory): ProxyConfig {
  if (!accessory.proxy) throw new TypeError(`accessory ${accessory.name} does not run behind the proxy`);
  return accessory.proxy;
}

/** `docker exec kamal-proxy kamal-proxy deploy <svc> --target="<container id>:<app_port>" …` */
export function deploy(accessory: Accessory, target: string): Cmd {
  return proxyExec.deploy(accessory.serviceName, proxyOf(accessory), target);
}

/** `docker exec kamal-proxy kamal-proxy remove <svc>` */
export function remove(accessory: Accessory): Cmd {
  return proxyExec.remove(accessory.serviceName);
}

/** `mkdir -p <tls directory>` before a proxied accessory's custom certificate is uploaded. */
export function createSslDirectory(accessory: Accessory): Cmd {
  const certificate = proxyOf(accessory).customCertificate;
  if (!certificate) throw new TypeError(`accessory ${accessory.name} has no custom certificate`);
  return makeDirectoryFor(certificate.hostCertificatePath);
}

// Docker operations that have a Docker Engine API rendering beside their command: run, stop,
// rename and remove containers, tag and remove images. Each is built once from values: its parts
// are the exact `docker …` command Kamal runs, and `…Requests` render the same values as API
// requests (or undefined, where only the command does exactly what it says).
import type { Logging } from "../config/index.js";
import { Redacted, argumentize, optionize, pipe, type Cmd } from "../core/cmd.js";
import { envFileLines, inspectContainer, removeContainer, removeImage, renameContainer, segment, stopContainer, tagImage, type DockerApiCall } from "./docker-api.js";
import { containerIdFor, docker, xargs } from "./shared.js";

/** What `docker run --detach` starts, as values. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly restart: string;
  readonly network: string;
  readonly hostname?: string;
  /** `--env NAME=value` in order (values quoted as Kamal quotes them); "" is a bare `--env NAME`, read from the server's environment. */
  readonly env: readonly (readonly [string, string])[];
  /** `--env-file PATH`; `content` (uploaded just before the run) lets the API rendering pass its entries. */
  readonly envFile?: { readonly path: string; readonly content?: Redacted };
  readonly logging: Logging;
  /** `--volume` values as written (a `$PWD/` is the server's shell's). */
  readonly volumes: readonly string[];
  /** null: a bare `--label KEY`. */
  readonly labels: Readonly<Record<string, string | null>>;
  /** Any other `docker run` options, as Kamal's optionize writes them. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The command after the image: shell text as written. */
  readonly cmd?: string;
}

export interface ContainerRun extends Cmd {
  readonly kind: "container-run";
  readonly spec: ContainerSpec;
}

/** `docker run --detach --restart … --name … --network … [--hostname …] --env … --env-file … <logging> --volume … --label … <options> IMAGE [CMD]` */
export function containerRun(spec: ContainerSpec): ContainerRun {
  const command = docker(
    "run",
    "--detach",
    "--restart",
    spec.restart,
    "--name",
    spec.name,
    "--network",
    spec.network,
    spec.hostname === undefined ? null : ["--hostname", spec.hostname],
    spec.env.flatMap(([name, value]) => argumentize("--env", Object.fromEntries([[name, value]]))),
    spec.envFile === undefined ? null : ["--env-file", spec.envFile.path],
    spec.logging.args(),
    spec.volumes.flatMap((volume) => ["--volume", volume]),
    argumentize("--label", spec.labels),
    optionize(spec.options),
    spec.image,
    spec.cmd ?? null,
  );
  return { kind: "container-run", spec, parts: command.parts };
}

// The server's shell passes these through unchanged: bare, or inside Kamal's double quotes.
const BARE = /^[A-Za-z0-9_\-.:=@%+,/]+$/;
const QUOTED = /^[A-Za-z0-9_\-.:=@%+,/ ]*$/;

/**
 * The run as a create and a start, or undefined where the command's text is not exactly these
 * values (the shell would expand or split something, another option is set, an env value comes
 * from the server's environment, the env file's content is unknown or names such a value).
 */
export function containerRunRequests({ spec }: ContainerRun): DockerApiCall[] | undefined {
  const driver = spec.logging.effectiveDriver;
  const logOptions = spec.logging.effectiveOptions;
  const cmd = spec.cmd === undefined ? [] : spec.cmd.trim().split(/ +/);
  const bare = [spec.name, spec.image, spec.restart, spec.network, ...(spec.hostname === undefined ? [] : [spec.hostname]), ...spec.volumes, ...cmd];
  bare.push(...spec.env.map(([name]) => name), ...Object.keys(spec.labels), ...Object.keys(logOptions));
  const quoted = [...spec.env.map(([, value]) => value), ...Object.values(spec.labels).map((value) => value ?? ""), ...Object.values(logOptions), driver ?? ""];
  if (!bare.every((word) => BARE.test(word)) || !quoted.every((value) => QUOTED.test(value))) return undefined;
  if (Object.keys(spec.options).length > 0 || spec.env.some(([, value]) => value === "")) return undefined;
  const fileEnv = spec.envFile === undefined ? [] : envFileLines(spec.envFile.content?.value);
  if (fileEnv === undefined) return undefined;
  const [policy = "", retries] = spec.restart.split(":");
  const body: ContainerBody = {
    Image: spec.image,
    ...(spec.hostname === undefined ? {} : { Hostname: spec.hostname }),
    // The env file's lines first, then the --env ones, as the CLI sends them.
    Env: [...fileEnv, ...spec.env.map(([name, value]) => `${name}=${value}`)],
    Labels: Object.fromEntries(Object.entries(spec.labels).map(([key, value]) => [key, value ?? ""])),
    ...(cmd.length > 0 ? { Cmd: cmd } : {}),
    HostConfig: {
      LogConfig: { Type: driver ?? "", Config: { ...logOptions } },
      RestartPolicy: { Name: policy, ...(retries === undefined ? {} : { MaximumRetryCount: Number(retries) }) },
      NetworkMode: spec.network,
      ...(spec.volumes.length > 0 ? { Binds: [...spec.volumes] } : {}),
    },
    // The CLI names the network's endpoint too.
    NetworkingConfig: { EndpointsConfig: { [spec.network]: {} } },
  };
  return [createContainer(spec.name, body), startContainer(spec.name)];
}

/** The body of `POST /containers/create`: what Berth's `docker run` sets. */
export interface ContainerBody {
  readonly Image: string;
  readonly Hostname?: string;
  readonly Env: readonly string[];
  readonly Labels: Readonly<Record<string, string>>;
  readonly Cmd?: readonly string[];
  readonly HostConfig: {
    readonly LogConfig: { readonly Type: string; readonly Config: Readonly<Record<string, string>> };
    readonly RestartPolicy: { readonly Name: string; readonly MaximumRetryCount?: number };
    readonly NetworkMode: string;
    readonly Binds?: readonly string[];
  };
  readonly NetworkingConfig: { readonly EndpointsConfig: Readonly<Record<string, object>> };
}

/** `docker create --name NAME …`: the reply's `Id` is what `docker run --detach` prints. The body may hold secrets (its env). */
export function createContainer(name: string, body: ContainerBody): DockerApiCall {
  return { method: "POST", path: "/containers/create", query: { name }, body: new Redacted(JSON.stringify(body)), printsId: true };
}

/** `docker start NAME`, sent only when the create before it succeeded. */
export function startContainer(name: string): DockerApiCall {
  return { method: "POST", path: `/containers/${segment(name)}/start`, afterSuccess: true };
}

export interface ContainerStop extends Cmd {
  readonly kind: "container-stop";
  readonly name: string;
  readonly timeout: number | undefined;
}

/** `docker stop [-t N] NAME` */
export function containerStop(name: string, timeout?: number): ContainerStop {
  return { kind: "container-stop", name, timeout, parts: docker("stop", timeout === undefined ? null : ["-t", timeout], name).parts };
}

export interface ContainerRename extends Cmd {
  readonly kind: "container-rename";
  readonly name: string;
  readonly newName: string;
}

/** `docker rename NAME NEW_NAME` */
export function containerRename(name: string, newName: string): ContainerRename {
  return { kind: "container-rename", name, newName, parts: docker("rename", name, newName).parts };
}

export interface ContainerRemove extends Cmd {
  readonly kind: "container-remove";
  readonly names: readonly string[];
}

/** `docker rm NAME…` */
export function containerRemove(names: readonly string[]): ContainerRemove {
  return { kind: "container-remove", names, parts: docker("rm", ...names).parts };
}

export interface ImageTag extends Cmd {
  readonly kind: "image-tag";
  readonly source: string;
  readonly target: string;
}

/** `docker tag SOURCE TARGET` */
export function imageTag(source: string, target: string): ImageTag {
  return { kind: "image-tag", source, target, parts: docker("tag", source, target).parts };
}

export interface ImageRemove extends Cmd {
  readonly kind: "image-remove";
  readonly references: readonly string[];
}

/** `docker rmi REFERENCE…` */
export function imageRemove(references: readonly string[]): ImageRemove {
  return { kind: "image-remove", references, parts: docker("rmi", ...references).parts };
}

export interface ContainerStatus extends Cmd {
  readonly kind: "container-status";
  readonly name: string;
}

const HEALTH_OR_STATE_FORMAT = "'{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'";

/** `docker container ls --all --filter name=^NAME$ --quiet | xargs docker inspect --format '<health, else state>'`: empty output when there is no such container. */
export function containerStatus(name: string): ContainerStatus {
  return { kind: "container-status", name, parts: pipe(containerIdFor(name), xargs(docker("inspect", "--format", HEALTH_OR_STATE_FORMAT))).parts };
}

export type ContainerOperation = ContainerRun | ContainerStop | ContainerRename | ContainerRemove | ImageTag | ImageRemove | ContainerStatus;

/** The operation as Docker Engine API requests (sent in order), or undefined where only its command is exact. */
export function containerRequests(operation: ContainerOperation): DockerApiCall[] | undefined {
  switch (operation.kind) {
    case "container-run":
      return containerRunRequests(operation);
    case "container-stop":
      return [stopContainer(operation.name, operation.timeout)];
    case "container-rename":
      return [renameContainer(operation.name, operation.newName)];
    case "container-remove":
      // One call per container, as `docker rm a b` tries each.
      return operation.names.map(removeContainer);
    case "image-tag":
      return [tagImage(operation.source, operation.target)];
    case "image-remove":
      return operation.references.map(removeImage);
    case "container-status":
      return [{ ...inspectContainer(operation.name), printsStatus: true }];
  }
}

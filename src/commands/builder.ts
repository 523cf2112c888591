// Commands for building and shipping the image (Kamal's Commands::Builder): the buildx builders
// of every kind, the classic `docker build` + `docker push` path for Docker without buildx, pack,
// the local git clone, and the pull/label check on the app hosts.
import type { Configuration } from "../config/index.js";
import { Redacted, cmd, combine } from "../core/cmd.js";
import type { Cmd } from "../core/cmd.js";
import { probe, type Probe } from "./operation.js";
import { BerthError } from "../util/errors.js";
import { docker } from "./shared.js";
import * as buildx from "./builder/buildx.js";
import * as classic from "./builder/classic.js";
import * as pack from "./builder/pack.js";
import type { BuilderKind } from "./builder/kind.js";

export * from "./builder/kind.js";
export * as buildx from "./builder/buildx.js";
export * as classic from "./builder/classic.js";
export * as pack from "./builder/pack.js";
export * from "./builder/clone.js";
export * from "./builder/hosts.js";
export { buildOptions, tagNames } from "./builder/buildx.js";

/** `docker --version && docker buildx version`: Kamal's "is Docker (with buildx) installed locally" check. */
export function ensureInstalled(): Cmd {
  return combine(dockerVersion(), buildxVersion());
}

/** `docker --version` (fails: "Docker is not installed locally"). */
export function dockerVersion(): Probe {
  return probe(docker("--version"));
}

/** `docker buildx version`: its success picks the buildx path, its failure the classic one. */
export function buildxVersion(): Probe {
  return probe(docker("buildx", "version"));
}

/** Docker here, in one process: prints `no-docker`, `buildx` (the plugin works) or `classic`. */
export function localDockerTools(): Probe {
  return probe(cmd("command -v docker >/dev/null || { echo no-docker; exit 0; }; docker buildx version >/dev/null 2>&1 && echo buildx || echo classic"));
}

/** `docker info --format '{{.Architecture}}'`: `x86_64`, `aarch64`… */
export function localArchitecture(): Probe {
  return probe(docker("info", "--format", "'{{.Architecture}}'"));
}

/** `docker version --format '{{.Server.Version}}'` */
export function dockerServerVersion(): Probe {
  return probe(docker("version", "--format", "'{{.Server.Version}}'"));
}

export interface BuildPlanOptions {
  /** Whether `docker buildx version` succeeded on this machine. */
  readonly buildx: boolean;
  /** This machine's Docker architecture (`amd64`/`arm64`). */
  readonly localArch: string;
  readonly noCache?: boolean;
  readonly tagAsDirty?: boolean;
  /** The commit a build from the git clone is made of: the classic build records it in a label. */
  readonly revision?: string;
}

/**
 * The commands that build and push the image, run in order in the build directory: one buildx
 * command (it pushes as it builds), or `pack build … && docker push …`, or without buildx
 * `docker build` then a `docker push` per tag. Remote, hybrid and cloud builders need buildx.
 * With a local registry (`localhost:PORT`) nothing is pushed: the image goes into this machine's
 * Docker (`--output=type=docker`), from where Berth serves it to the hosts.
 */
export function buildCommands(config: Configuration, kind: BuilderKind, options: BuildPlanOptions): Cmd[] {
  const { localArch, noCache = false, tagAsDirty = false } = options;
  const exportAction = config.registry.local ? "docker" : "registry";
  if (kind === "pack") return [pack.push(config, { localArch, noCache, tagAsDirty, exportAction })];
  if (options.buildx) return [buildx.push(config, kind, { noCache, tagAsDirty, exportAction })];
  if (kind !== "local") {
    throw new BerthError(`builder: a ${kind} builder needs the docker buildx plugin, which is not installed locally (docker buildx version failed)`);
  }
  const revision = options.revision === undefined ? {} : { revision: options.revision };
  const build = classic.build(config, { noCache, tagAsDirty, ...revision });
  return config.registry.local ? [build] : [build, ...classic.pushTags(config, { tagAsDirty })];
}

/**
 * Environment for the build process: builder secrets by name (`--secret id=NAME` reads them from
 * there, so they never reach the command line), and `BUILDKIT_NO_CLIENT_TOKEN=1` for remote
 * builders (whose daemon can't use this machine's credential helpers).
 */
export function buildEnvironment(config: Configuration, kind: BuilderKind): Record<string, Redacted> {
  const environment: Record<string, Redacted> = {};
  const names = config.builder.secrets;
  if (names.length > 0) {
    const secrets = config.secrets;
    if (!secrets) throw new BerthError(`builder/secrets: secrets ${names.join(", ")} are needed but no secrets were loaded`);
    for (const name of names) environment[name] = new Redacted(secrets.get(name));
  }
  if (kind === "remote" || kind === "hybrid") environment.BUILDKIT_NO_CLIENT_TOKEN = new Redacted("1", "1");
  return environment;
}

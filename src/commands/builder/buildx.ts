// The buildx path (Kamal's default): create/inspect/remove the builder for each kind, and the one
// `docker buildx build --output=type=registry …` that builds and pushes every arch at once.
import type { Configuration } from "../../config/index.js";
import { any, argumentize, chain, cmd, combine, pipe } from "../../core/cmd.js";
import type { Cmd, Part } from "../../core/cmd.js";
import { probe } from "../operation.js";
import { docker } from "../shared.js";
import { builderName, platforms, remoteContextName } from "./kind.js";
import type { BuilderKind } from "./kind.js";

const ENDPOINT_DOCKER_HOST_INSPECT = "'{{.Endpoints.docker.Host}}'";

export interface BuildOptions {
  /** `registry` pushes as it builds; `docker` loads into the local image store. */
  readonly exportAction?: "registry" | "docker";
  readonly noCache?: boolean;
  /** Tags `…-dirty` (a build of uncommitted changes). */
  readonly tagAsDirty?: boolean;
}

/** `-t repo:VER -t repo:latest[-dest]` (with `-dirty` appended when asked). */
export function tagNames(config: Configuration, tagAsDirty = false): string[] {
  const names = [config.absoluteImage, config.latestImage];
  return tagAsDirty ? names.map((name) => `${name}-dirty`) : names;
}

export function tagArgs(config: Configuration, tagAsDirty = false): Part[] {
  return tagNames(config, tagAsDirty).flatMap((name) => ["-t", name]);
}

/**
 * `[--cache-to … --cache-from …] --label service="app" [--build-arg K=…] [--secret id="S"] --file F
 * [--target T] [--ssh S] [--provenance P] [--sbom S]`: shared by buildx and (without the
 * buildx-only flags) classic builds.
 * Build args are printed redacted (Kamal marks them sensitive); secrets are read from the environment.
 */
export function buildOptions(config: Configuration, { buildx = true }: { buildx?: boolean } = {}): Part[] {
  const builder = config.builder;
  const cacheTo = builder.cacheTo;
  const cacheFrom = builder.cacheFrom;
  return [
    ...(buildx && cacheTo !== undefined && cacheFrom !== undefined ? ["--cache-to", cacheTo, "--cache-from", cacheFrom] : []),
    ...argumentize("--label", { service: config.service }),
    ...argumentize("--build-arg", builder.args, { sensitive: true }),
    ...builder.secrets.flatMap((secret) => argumentize("--secret", { id: secret })),
    "--file",
    builder.dockerfile,
    ...(builder.target === undefined || builder.target === "" ? [] : ["--target", builder.target]),
    // The classic builder has no SSH forwarding, attestations or cache export.
    ...(!buildx || builder.ssh === undefined || builder.ssh === "" ? [] : ["--ssh", builder.ssh]),
    ...(!buildx || builder.provenance === undefined ? [] : ["--provenance", builder.provenance]),
    ...(!buildx || builder.sbom === undefined ? [] : ["--sbom", builder.sbom]),
  ];
}

/** `docker buildx build --output=type=registry --platform … --builder … -t … <options> [--no-cache] <context> 2>&1` */
export function push(config: Configuration, kind: BuilderKind, options: BuildOptions): Cmd {
  const { exportAction = "registry", noCache = false, tagAsDirty = false } = options;
  if (kind === "pack") throw new TypeError("pack builds are made by pack.push, not buildx");
  const arches = config.builder.arches;
  return docker(
    "buildx",
    "build",
    `--output=type=${exportAction}`,
    arches.length > 0 ? ["--platform", platforms(arches)] : null,
    config.builder.dockerDriver ? null : ["--builder", builderName(config, kind)],
    tagArgs(config, tagAsDirty),
    buildOptions(config),
    noCache ? "--no-cache" : null,
    config.builder.context,
    "2>&1",
  );
}

const hostNetwork = (config: Configuration): Part[] => (config.registry.local ? ["--driver-opt", "network=host"] : []);

function createRemoteContext(config: Configuration, kind: BuilderKind): Cmd {
  const name = builderName(config, kind);
  return docker("context", "create", remoteContextName(config, kind), "--description", `'${name} host'`, "--docker", `'host=${config.builder.remote ?? ""}'`);
}

/** Creates the builder (null where there is none to create: the `docker` driver, pack). */
export function create(config: Configuration, kind: BuilderKind, localArch: string): Cmd | null {
  const name = builderName(config, kind);
  const driver = config.builder.driver;
  switch (kind) {
    case "local":
      return config.builder.dockerDriver ? null : docker("buildx", "create", "--name", name, `--driver=${driver}`, hostNetwork(config));
    case "remote":
      return chain(createRemoteContext(config, kind), docker("buildx", "create", "--name", name, hostNetwork(config), remoteContextName(config, kind)));
    case "hybrid":
      return combine(
        docker("buildx", "create", "--platform", platforms(config.builder.localArches(localArch)), "--name", name, `--driver=${driver}`, hostNetwork(config)),
        createRemoteContext(config, kind),
        docker("buildx", "create", "--platform", platforms(config.builder.remoteArches(localArch)), "--append", "--name", name, hostNetwork(config), remoteContextName(config, kind)),
      );
    case "cloud":
      return docker("buildx", "create", "--driver", driver);
    case "pack":
      return null;
  }
}

/** Removes the builder (and a remote builder's docker context). */
export function remove(config: Configuration, kind: BuilderKind): Cmd | null {
  const name = builderName(config, kind);
  switch (kind) {
    case "local":
      return config.builder.dockerDriver ? null : docker("buildx", "rm", name);
    case "remote":
    case "hybrid":
      return chain(docker("context", "rm", remoteContextName(config, kind)), docker("buildx", "rm", name));
    case "cloud":
      return docker("buildx", "rm", name);
    case "pack":
      return null;
  }
}

/**
 * Checks the builder exists (a failure means: remove and create it). A remote builder must also
 * still point at the configured host.
 */
export function inspectBuilder(config: Configuration, kind: BuilderKind): Cmd | null {
  const name = builderName(config, kind);
  switch (kind) {
    case "local":
    case "cloud":
      return config.builder.dockerDriver ? null : probe(docker("buildx", "inspect", name));
    case "remote":
    case "hybrid": {
      const context = remoteContextName(config, kind);
      return any(
        combine(
          pipe(docker("buildx", "inspect", name), cmd("grep", "-q", `Endpoint:.*${context}`)),
          pipe(docker("context", "inspect", context, "--format", ENDPOINT_DOCKER_HOST_INSPECT), cmd("grep", "-xq", config.builder.remote ?? "")),
        ),
        cmd("(echo no compatible builder && exit 1)"),
      );
    }
    case "pack":
      return cmd("pack", "builder", "inspect", config.builder.pack?.builder ?? "");
  }
}

/** `docker context ls && docker buildx ls` (`;` for remote builders, whose context may be gone). */
export function info(config: Configuration, kind: BuilderKind): Cmd {
  if (kind === "pack") return cmd("pack", "builder", "inspect", config.builder.pack?.builder ?? "");
  const commands = [docker("context", "ls"), docker("buildx", "ls")];
  return kind === "remote" || kind === "hybrid" ? chain(...commands) : combine(...commands);
}

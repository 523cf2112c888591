// Which builder Kamal uses, and the names it gives the buildx builders it creates.
import type { Configuration } from "../../config/index.js";

/** `remote`/`hybrid` build (some) arches on another machine; `cloud` is Docker Build Cloud; `pack` uses buildpacks. */
export type BuilderKind = "local" | "remote" | "hybrid" | "cloud" | "pack";

/**
 * Kamal's Commands::Builder#target: remote arches make it remote (hybrid when some are also built
 * here), then pack, then cloud, else local. `localArch` is this machine's Docker architecture
 * (`docker info --format '{{.Architecture}}'`, as `amd64`/`arm64`).
 */
export function builderKind(config: Configuration, localArch: string): BuilderKind {
  const builder = config.builder;
  if (builder.isRemote(localArch)) return builder.isLocal(localArch) ? "hybrid" : "remote";
  if (builder.pack) return "pack";
  if (builder.cloud) return "cloud";
  return "local";
}

/** `ssh://app@1.2.3.4` → `ssh---app-1-2-3-4` */
function sanitizedRemote(config: Configuration): string {
  const remote = config.builder.remote;
  if (remote === undefined) throw new TypeError("builder.remote is not set");
  return remote.replace(/[^a-z0-9_-]/g, "-");
}

/** The buildx builder's name; a local registry gets its own builders (they need host networking). */
export function builderName(config: Configuration, kind: BuilderKind): string {
  const localRegistry = config.registry.local ? "-local-registry" : "";
  const driver = config.builder.driver;
  switch (kind) {
    case "local":
    case "pack":
      return config.registry.local ? `kamal-local-registry-${driver}` : `kamal-local-${driver}`;
    case "remote":
      return `kamal-remote-${sanitizedRemote(config)}${localRegistry}`;
    case "hybrid":
      return `kamal-hybrid-${driver}-${sanitizedRemote(config)}${localRegistry}`;
    case "cloud":
      return driver.replace(/[ /]/g, "-");
  }
}

/** The docker context a remote builder runs through. */
export function remoteContextName(config: Configuration, kind: BuilderKind): string {
  return `${builderName(config, kind)}-context`;
}

/** `linux/amd64,linux/arm64` */
export function platforms(arches: readonly string[]): string {
  return arches.map((arch) => `linux/${arch}`).join(",");
}

// Registry login: here (for pushing) and on the hosts (for pulling). The password travels on
// standard input (`docker login --password-stdin`), never in arguments. A registry at
// `localhost:PORT` is Kamal's local registry, which needs no login (Berth serves its images
// itself: image-delivery.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { registry as registryCommands, type Cmd } from "../commands/index.js";
import type { Run } from "./run.js";

/**
 * `docker login` on this machine, once per run (callers at the same time share it). Skipped when
 * Docker's config file already holds these very credentials for the registry: the login would
 * write the same entry again, and the push checks them with the registry anyway.
 */
export function loginLocally(run: Run): Promise<void> {
  run.services.once.localLogin ??= loginHere(run);
  return run.services.once.localLogin;
}

function loginHere(run: Run): Promise<void> {
  const registry = run.config.registry;
  // Kamal's local registry needs no login: Berth serves it from here (image-delivery.ts).
  if (registry.local) return Promise.resolve();
  if (holdsCredentials(dockerConfigFile(run.env), registry.server, registry.username().value, registry.password().value)) {
    run.output.info(`Logged in to ${registry.server ?? "Docker Hub"} already (Docker's config holds these credentials), not logging in again`);
    return Promise.resolve();
  }
  return run.local(registryCommands.login(registry)).then(() => undefined);
}

/** Docker's config.json for this environment (`$DOCKER_CONFIG`, else `~/.docker`), if it can be told. */
function dockerConfigFile(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const dir = env.DOCKER_CONFIG ?? (env.HOME === undefined ? undefined : join(env.HOME, ".docker"));
  return dir === undefined ? undefined : join(dir, "config.json");
}

/** Docker Hub's key in config.json, where `docker login` without a server stores its entry. */
const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

/**
 * Whether `docker login` would store exactly this entry already: `auths[server].auth` is
 * base64(user:password), and no credential helper keeps the registry's credentials elsewhere.
 * Anything unreadable or unexpected answers no (and the login runs).
 */
export function holdsCredentials(file: string | undefined, server: string | undefined, username: string, password: string): boolean {
  if (file === undefined) return false;
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return false;
  }
  if (config === null || typeof config !== "object") return false;
  const { auths, credsStore, credHelpers } = config as { auths?: unknown; credsStore?: unknown; credHelpers?: unknown };
  const key = server ?? DOCKER_HUB_KEY;
  if (credsStore !== undefined && credsStore !== "") return false;
  if (credHelpers !== null && typeof credHelpers === "object" && Object.hasOwn(credHelpers, key)) return false;
  if (auths === null || typeof auths !== "object" || !Object.hasOwn(auths, key)) return false;
  const entry = (auths as Record<string, unknown>)[key];
  const stored = entry !== null && typeof entry === "object" ? (entry as { auth?: unknown }).auth : undefined;
  return typeof stored === "string" && stored === Buffer.from(`${username}:${password}`).toString("base64");
}

/** The `docker login` to run on a host (first step of the host's pull batch), or null for a local registry. */
export function remoteLoginCommand(run: Run): Cmd | null {
  const registry = run.config.registry;
  if (registry.local) return null;
  return registryCommands.login(registry);
}

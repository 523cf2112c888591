// What a host runs and holds, from one read for all roles, the proxy and the images (the
// host-state operation, src/commands/host-state.ts: three docker calls, or Docker API requests)
// instead of Kamal's five per role (clashing container, running versions, and the current-version
// pipeline of three), its pull check and its prune's five. From it:
// - clash: a container named `<prefix>-<version>` exists (any state);
// - running: versions of running or restarting containers;
// - current: the newest running/restarting container made from the `latest` image, else the
//   newest running/restarting one (Kamal's `docker ps --latest --filter ancestor=… ; docker ps --latest`);
// - the image the host holds under the version's tag (its ID and service label), if any: a deploy
//   doesn't pull an image the host holds already;
// - every container and image of the app (all destinations, as Kamal's prune sees them), from
//   which a deploy works out what its prune removes (prunePlan) without asking Docker again.
import { imageIdentityOf, type ImageIdentity } from "../commands/builder/hosts.js";
import { PROXY_CONTAINER_NAME, type Configuration, type Role } from "../config/index.js";

/** What a role has on a host before the boot. */
export interface RoleState {
  /** A container of the version being booted exists already (it is renamed aside). */
  readonly clash: boolean;
  /** The version of the role's current container, if one runs. */
  readonly current: string | undefined;
  /** Versions of the role's running containers. */
  readonly running: readonly string[];
}

export interface ProxyState {
  /** The kamal-proxy container is running. */
  readonly running: boolean;
  /** Its image's tag (what Kamal's version check reads), "" without a container. */
  readonly version: string;
  /** Where its config volume is on the host ("" if unknown): the Berth proxy's control socket is there. */
  readonly configDirectory: string;
}

/** An app container as the state read saw it. */
export interface AppContainer {
  readonly name: string;
  readonly imageId: string;
  readonly status: string;
  readonly created: string;
  /** The image reference it was created from (Config.Image). */
  readonly image: string;
  readonly role: string;
  readonly destination: string;
  /** Host path of the proxy's config volume (only for kamal-proxy). */
  readonly proxyConfig: string;
}

/** An image on the host: its ID, service label and tags (none: dangling). */
export interface AppImage extends ImageIdentity {
  readonly tags: readonly string[];
}

export interface HostState {
  readonly roles: Map<string, RoleState>;
  readonly proxy: ProxyState;
  /** The image under the version's tag (`repo:VER`), undefined when the host has none. */
  readonly image: ImageIdentity | undefined;
  /** The ID of the image tagged `latest`, "" when there is none. */
  readonly latestImageId: string;
  /** Every container of the service (any destination), newest first. */
  readonly containers: readonly AppContainer[];
  /** Every image the read found, once each. */
  readonly images: readonly AppImage[];
}

/** `repo:tag` as Docker lists it in RepoTags (Docker Hub's implicit prefixes dropped). */
function normalizedReference(reference: string): string {
  return reference.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "").replace(/^library\//, "");
}

/** The state of `roles` (and the proxy) from the state read's lines (src/commands/host-state.ts). */
export function parseHostState(
  output: string,
  roles: readonly Role[],
  config: Pick<Configuration, "latestImage" | "absoluteImage" | "destination">,
  version: string,
): HostState {
  const lines = output.split("\n").map((line) => line.trim().split("|"));
  const images = new Map<string, AppImage>();
  const byTag = new Map<string, AppImage>();
  for (const [kind, id = "", service = "", tags = ""] of lines) {
    if (kind !== "image" || id === "") continue;
    const image = { ...imageIdentityOf(id, service), tags: tags.split(" ").filter(Boolean) };
    images.set(id, image);
    for (const tag of image.tags) byTag.set(normalizedReference(tag), image);
  }
  const latestImageId = byTag.get(normalizedReference(config.latestImage))?.id ?? "";
  const latest = latestImageId.replace(/^sha256:/, "");
  const all: AppContainer[] = lines
    .filter(([kind]) => kind === "container")
    .map(([, name = "", imageId = "", status = "", created = "", image = "", role = "", destination = "", proxyConfig = ""]) => ({
      name: name.replace(/^\//, ""),
      imageId,
      status,
      created,
      image,
      role,
      destination,
      proxyConfig,
    }))
    // Newest first, as `docker ps` lists them.
    .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  const proxy = all.find((container) => container.name === PROXY_CONTAINER_NAME);
  const containers = all.filter((container) => container !== proxy);
  const destination = config.destination ?? "";

  const roleStates = new Map<string, RoleState>();
  for (const role of roles) {
    const prefix = `${role.containerPrefix}-`;
    const mine = containers.filter((container) => container.role === role.name && container.destination === destination && container.name.startsWith(prefix));
    const active = mine.filter((container) => container.status === "running" || container.status === "restarting");
    const fromLatest = latest === "" ? undefined : active.find((container) => container.imageId.replace(/^sha256:/, "") === latest);
    const current = fromLatest ?? active[0];
    roleStates.set(role.name, {
      clash: mine.some((container) => container.name === `${prefix}${version}`),
      current: current?.name.slice(prefix.length),
      running: active.map((container) => container.name.slice(prefix.length)),
    });
  }
  return {
    roles: roleStates,
    proxy: {
      running: proxy?.status === "running",
      version: proxy === undefined ? "" : (proxy.image.split(":").at(-1) ?? ""),
      configDirectory: proxy?.proxyConfig ?? "",
    },
    image: identity(byTag.get(normalizedReference(config.absoluteImage))),
    latestImageId,
    containers,
    images: [...images.values()],
  };
}

function identity(image: AppImage | undefined): ImageIdentity | undefined {
  return image === undefined ? undefined : { id: image.id, service: image.service };
}

/** What a deploy's prune removes on a host: stopped containers by name, images by tag or ID. */
export interface PrunePlan {
  readonly containers: readonly string[];
  readonly images: readonly string[];
}

/**
 * Kamal's prune worked out from the state read: stopped containers of the service beyond the
 * newest `retain`; the service's images no container was made from (by reference, or by ID for
 * untagged ones), keeping `latest` and the version being deployed. `stopping` containers that run
 * now and are stopped by this deploy count as stopped (see deploy.ts, pruneAheadOfStops).
 */
export function prunePlan(
  state: Pick<HostState, "containers" | "images">,
  config: Pick<Configuration, "service" | "latestImage" | "absoluteImage">,
  retain: number,
  stopping: number,
): PrunePlan {
  const stopped = state.containers.filter((container) => ["created", "exited", "dead"].includes(container.status));
  const containers = stopped.slice(Math.max(retain - stopping, 0)).map((container) => container.name);
  const removed = new Set(containers);
  const kept = state.containers.filter((container) => !removed.has(container.name));
  const usedReferences = new Set([config.absoluteImage, ...kept.map((container) => container.image)].map(normalizedReference));
  const usedIds = new Set(kept.map((container) => container.imageId));
  const latest = normalizedReference(config.latestImage);
  const images: string[] = [];
  for (const image of state.images) {
    if (image.service !== config.service) continue;
    if (image.tags.length === 0) {
      if (!usedIds.has(image.id)) images.push(image.id);
      continue;
    }
    for (const tag of image.tags) {
      const reference = normalizedReference(tag);
      if (reference !== latest && !usedReferences.has(reference) && !usedReferences.has(image.id)) images.push(tag);
    }
  }
  return { containers, images };
}

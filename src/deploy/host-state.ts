// What a host runs, read with two docker calls for all roles, the proxy and the images at once,
// instead of Kamal's five per role (clashing container, running versions, and the current-version
// pipeline of three) plus its pull: `docker ps -aq` for the app's containers, then one
// `docker inspect` of them, of kamal-proxy, and of the `latest` and version images. From it:
// - clash: a container named `<prefix>-<version>` exists (any state);
// - running: versions of running or restarting containers;
// - current: the newest running/restarting container made from the `latest` image, else the
//   newest running/restarting one (Kamal's `docker ps --latest --filter ancestor=… ; docker ps --latest`);
// - the image the host holds under the version's tag (its ID and service label), if any: a deploy
//   doesn't pull an image the host holds already.
import { cmd, quote, type Cmd } from "../commands/index.js";
import { containerFilterArgs } from "../commands/app/filters.js";
import { imageIdentityOf, type ImageIdentity } from "../commands/builder/hosts.js";
import { docker } from "../commands/shared.js";
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
}

export interface HostState {
  readonly roles: Map<string, RoleState>;
  readonly proxy: ProxyState;
  /** The image under the version's tag (`repo:VER`), undefined when the host has none. */
  readonly image: ImageIdentity | undefined;
}

// `docker inspect` formats containers and images alike; `index` reads a key an object may lack
// (a plain `.Key` would fail the whole call for it).
const CONTAINER_FIELDS =
  'container|{{index . "Name"}}|{{index . "Image"}}|{{with index . "State"}}{{index . "Status"}}{{end}}|{{index . "Created"}}|' +
  '{{with index . "Config"}}{{index . "Image"}}|{{with index . "Labels"}}{{index . "role"}}{{end}}{{end}}';
const IMAGE_FIELDS = 'image|{{index . "Id"}}|{{with index . "Config"}}{{with index . "Labels"}}{{index . "service"}}{{end}}{{end}}|{{range index . "RepoTags"}}{{.}} {{end}}';
const FORMAT = `{{if index . "State"}}${CONTAINER_FIELDS}{{else}}${IMAGE_FIELDS}{{end}}`;

/** One command printing a line per app container, the proxy, and the latest and version images. */
export function hostStateCommand(config: Configuration): Cmd {
  return cmd(
    "docker",
    "inspect",
    "--format",
    quote(FORMAT),
    `$(${docker("ps", "-aq", containerFilterArgs(config, undefined)).parts.join(" ")})`,
    PROXY_CONTAINER_NAME,
    config.latestImage,
    config.absoluteImage,
    "2>/dev/null",
    ";",
    "true",
  );
}

interface Container {
  readonly name: string;
  readonly imageId: string;
  readonly status: string;
  readonly created: string;
  readonly image: string;
  readonly role: string;
}

/** `repo:tag` as Docker lists it in RepoTags (Docker Hub's implicit prefixes dropped). */
function normalizedReference(reference: string): string {
  return reference.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "").replace(/^library\//, "");
}

/** The state of `roles` (and the proxy) from `hostStateCommand`'s output. */
export function parseHostState(output: string, roles: readonly Role[], config: Pick<Configuration, "latestImage" | "absoluteImage">, version: string): HostState {
  const lines = output.split("\n").map((line) => line.trim().split("|"));
  const images = new Map<string, ImageIdentity>();
  for (const [kind, id = "", service = "", tags = ""] of lines) {
    if (kind !== "image") continue;
    for (const tag of tags.split(" ").filter(Boolean)) images.set(normalizedReference(tag), imageIdentityOf(id, service));
  }
  const latest = images.get(normalizedReference(config.latestImage))?.id.replace(/^sha256:/, "") ?? "";
  const containers: Container[] = lines
    .filter(([kind]) => kind === "container")
    .map(([, name = "", imageId = "", status = "", created = "", image = "", role = ""]) => ({ name: name.replace(/^\//, ""), imageId, status, created, image, role }))
    // Newest first, as `docker ps` lists them.
    .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));

  const proxy = containers.find((container) => container.name === PROXY_CONTAINER_NAME);
  const roleStates = new Map<string, RoleState>();
  for (const role of roles) {
    const prefix = `${role.containerPrefix}-`;
    const mine = containers.filter((container) => container.role === role.name && container.name.startsWith(prefix));
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
    proxy: { running: proxy?.status === "running", version: proxy === undefined ? "" : (proxy.image.split(":").at(-1) ?? "") },
    image: images.get(normalizedReference(config.absoluteImage)),
  };
}

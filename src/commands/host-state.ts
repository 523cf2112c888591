// What a host runs and holds, read in one step for all roles, the proxy and the images: the app's
// containers and images (`docker ps -aq`, `docker image ls -q`), kamal-proxy, and the `latest` and
// version images, one line each. Two renderings of the same read: one `docker inspect` with a
// template, or Docker Engine API requests whose answers are written as the same lines
// (containerLine, imageLine). src/deploy/host-state.ts reads the lines.
import type { Configuration } from "../config/index.js";
import { PROXY_CONFIG_CONTAINER_DIRECTORY, PROXY_CONTAINER_NAME } from "../config/index.js";
import { cmd, quote, type Cmd } from "../core/cmd.js";
import { docker } from "./shared.js";

export interface HostStateRead extends Cmd {
  readonly kind: "host-state";
  /** Containers and images carrying `label=service=<service>`. */
  readonly service: string;
  /** `repo:latest[-dest]` and `repo:VER`. */
  readonly latestImage: string;
  readonly versionImage: string;
}

// `docker inspect` formats containers and images alike; `index` reads a key an object may lack
// (a plain `.Key` would fail the whole call for it).
const CONTAINER_FIELDS =
  'container|{{index . "Name"}}|{{index . "Image"}}|{{with index . "State"}}{{index . "Status"}}{{end}}|{{index . "Created"}}|' +
  '{{with index . "Config"}}{{index . "Image"}}|{{with index . "Labels"}}{{index . "role"}}|{{index . "destination"}}{{end}}{{end}}|' +
  `{{range index . "Mounts"}}{{if eq (index . "Destination") "${PROXY_CONFIG_CONTAINER_DIRECTORY}"}}{{index . "Source"}}{{end}}{{end}}`;
const IMAGE_FIELDS = 'image|{{index . "Id"}}|{{with index . "Config"}}{{with index . "Labels"}}{{index . "service"}}{{end}}{{end}}|{{range index . "RepoTags"}}{{.}} {{end}}';
const FORMAT = `{{if index . "State"}}${CONTAINER_FIELDS}{{else}}${IMAGE_FIELDS}{{end}}`;

/** One command printing a line per app container and image, the proxy, and the latest and version images. */
export function hostStateRead(config: Pick<Configuration, "service" | "latestImage" | "absoluteImage">): HostStateRead {
  const service = ["--filter", `label=service=${config.service}`];
  const command = cmd(
    "docker",
    "inspect",
    "--format",
    quote(FORMAT),
    `$(${docker("ps", "-aq", service).parts.join(" ")})`,
    PROXY_CONTAINER_NAME,
    config.latestImage,
    config.absoluteImage,
    `$(${docker("image", "ls", "-q", "--no-trunc", service).parts.join(" ")})`,
    "2>/dev/null",
    ";",
    "true",
  );
  return { kind: "host-state", service: config.service, latestImage: config.latestImage, versionImage: config.absoluteImage, parts: command.parts };
}

/** The parts of Docker's container inspect JSON the state read uses. */
export interface ContainerInspect {
  readonly Name?: string;
  readonly Image?: string;
  readonly State?: { readonly Status?: string } | null;
  readonly Created?: string;
  readonly Config?: { readonly Image?: string; readonly Labels?: Readonly<Record<string, string>> | null } | null;
  readonly Mounts?: readonly { readonly Source?: string; readonly Destination?: string }[] | null;
}

/** The read's line for a container, from the inspect JSON the Docker API answers with. */
export function containerLine(container: ContainerInspect): string {
  const labels = container.Config?.Labels ?? {};
  const proxyConfig = (container.Mounts ?? []).filter((mount) => mount.Destination === PROXY_CONFIG_CONTAINER_DIRECTORY).map((mount) => mount.Source ?? "").join("");
  return [
    "container",
    container.Name ?? "",
    container.Image ?? "",
    container.State?.Status ?? "",
    container.Created ?? "",
    container.Config?.Image ?? "",
    labels.role ?? "",
    labels.destination ?? "",
    proxyConfig,
  ].join("|");
}

/** The read's line for an image: its ID, service label and tags (Docker's `<none>:<none>` is no tag). */
export function imageLine(id: string, labels: Readonly<Record<string, string>> | null | undefined, tags: readonly string[] | null | undefined): string {
  const named = (tags ?? []).filter((tag) => tag !== "<none>:<none>");
  return `image|${id}|${labels?.service ?? ""}|${named.map((tag) => `${tag} `).join("")}`;
}

// What a host runs, read with three docker calls for all roles and the proxy at once, instead of
// Kamal's five per role (clashing container, running versions, and the current-version pipeline
// of three): `docker image ls` for the latest image, `docker ps -aq` for the app's containers, and
// one `docker inspect` of them and of kamal-proxy. The same answers are derived from it:
// - clash: a container named `<prefix>-<version>` exists (any state);
// - running: versions of running or restarting containers;
// - current: the newest running/restarting container made from the `latest` image, else the
//   newest running/restarting one (Kamal's `docker ps --latest --filter ancestor=… ; docker ps --latest`).
import { cmd, quote, type Cmd } from "../commands/index.js";
import { containerFilterArgs } from "../commands/app/filters.js";
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
}

const SEPARATOR = "___berth_state___";
const FIELDS = "{{.Name}}|{{.Image}}|{{.State.Status}}|{{.Created}}|{{.Config.Image}}|{{index .Config.Labels \"role\"}}";

/** One command printing the latest image's id, then one line per app container and the proxy. */
export function hostStateCommand(config: Configuration): Cmd {
  return cmd(
    docker("image", "ls", "--filter", `reference=${config.latestImage}`, "--format", "'{{.ID}}'"),
    ";",
    "echo",
    SEPARATOR,
    ";",
    "docker",
    "inspect",
    "--format",
    quote(FIELDS),
    `$(${docker("ps", "-aq", containerFilterArgs(config, undefined)).parts.join(" ")})`,
    PROXY_CONTAINER_NAME,
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

/** The state of `roles` (and the proxy) from `hostStateCommand`'s output. */
export function parseHostState(output: string, roles: readonly Role[], version: string): HostState {
  const [latestText = "", containersText = ""] = output.split(`${SEPARATOR}\n`);
  const latest = latestText.trim().split("\n")[0]?.trim() ?? "";
  const containers: Container[] = containersText
    .split("\n")
    .map((line) => line.trim().split("|"))
    .filter((fields) => fields.length >= 6)
    .map(([name = "", imageId = "", status = "", created = "", image = "", role = ""]) => ({ name: name.replace(/^\//, ""), imageId, status, created, image, role }))
    // Newest first, as `docker ps` lists them.
    .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));

  const proxy = containers.find((container) => container.name === PROXY_CONTAINER_NAME);
  const roleStates = new Map<string, RoleState>();
  for (const role of roles) {
    const prefix = `${role.containerPrefix}-`;
    const mine = containers.filter((container) => container.role === role.name && container.name.startsWith(prefix));
    const active = mine.filter((container) => container.status === "running" || container.status === "restarting");
    const fromLatest = latest === "" ? undefined : active.find((container) => container.imageId.replace(/^sha256:/, "").startsWith(latest));
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
  };
}

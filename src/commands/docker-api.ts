// Docker Engine API requests, as data. The operations in container.ts and host-state.ts render
// themselves as these: where the run reaches the host's Docker API over its SSH connection, the
// requests replace the command; everywhere else (--plan, a daemon on another socket, forwarding
// refused) the command runs as written.
import { cmd, type Cmd, type Redacted } from "../core/cmd.js";

/** One request to the Docker Engine API. */
export interface DockerApiCall {
  readonly method: "GET" | "POST" | "DELETE";
  /** Unversioned path, e.g. `/containers/app-web-1/stop` (the daemon answers in its own API version). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Statuses that mean success besides 2xx (e.g. 304 for stopping a stopped container, which `docker stop` accepts). */
  readonly accept?: readonly number[];
  /** A JSON body; Redacted, as it may hold secrets (a container's environment). */
  readonly body?: Redacted;
  /** The reply's `Id` is the command's output (`docker run --detach` prints the new container's ID). */
  readonly printsId?: boolean;
  /** Sent only when the call before it succeeded (a start after its create); otherwise every call is sent, as `docker rm a b` tries each. */
  readonly afterSuccess?: boolean;
}

/** The text of a call, e.g. `POST /containers/x/stop?t=10`. */
export function describeCall(call: DockerApiCall): string {
  const query = new URLSearchParams(call.query ?? {}).toString();
  return `${call.method} ${call.path}${query === "" ? "" : `?${query}`}`;
}

/** Whether a reply's status means the call did what the command would have. */
export function succeeded(call: DockerApiCall, status: number): boolean {
  return (status >= 200 && status < 300) || (call.accept ?? []).includes(status);
}

/** A name or image reference as a path segment ("/" and ":" kept, as Docker's router expects them). */
export function segment(name: string): string {
  return name.split("/").map((part) => encodeURIComponent(part).replace(/%3A/gi, ":")).join("/");
}

/** `docker stop [-t N] NAME` */
export function stopContainer(name: string, timeoutSeconds?: string | number): DockerApiCall {
  return { method: "POST", path: `/containers/${segment(name)}/stop`, ...(timeoutSeconds === undefined ? {} : { query: { t: String(timeoutSeconds) } }), accept: [304] };
}

/** `docker rename NAME NEW_NAME` */
export function renameContainer(name: string, newName: string): DockerApiCall {
  return { method: "POST", path: `/containers/${segment(name)}/rename`, query: { name: newName } };
}

/** `docker rm ID` (one container; `docker rm a b` is one call per container). */
export function removeContainer(id: string): DockerApiCall {
  return { method: "DELETE", path: `/containers/${segment(id)}` };
}

/** `docker rmi ID` (one image). */
export function removeImage(id: string): DockerApiCall {
  return { method: "DELETE", path: `/images/${segment(id)}` };
}

/** `docker tag SOURCE REPO:TAG` */
export function tagImage(source: string, target: string): DockerApiCall {
  const colon = target.lastIndexOf(":");
  const tagged = colon > target.lastIndexOf("/");
  return { method: "POST", path: `/images/${segment(source)}/tag`, query: { repo: tagged ? target.slice(0, colon) : target, tag: tagged ? target.slice(colon + 1) : "latest" } };
}

/** `docker inspect NAME` for a container (404: none). */
export function inspectContainer(name: string): DockerApiCall {
  return { method: "GET", path: `/containers/${segment(name)}/json` };
}

/** `docker image inspect REF` (404: none). */
export function inspectImage(reference: string): DockerApiCall {
  return { method: "GET", path: `/images/${segment(reference)}/json` };
}

/** `docker ps -a --filter label=KEY=VALUE` */
export function listContainers(label: string): DockerApiCall {
  return { method: "GET", path: "/containers/json", query: { all: "1", filters: JSON.stringify({ label: [label] }) } };
}

/** `docker image ls --filter label=KEY=VALUE` */
export function listImages(label: string): DockerApiCall {
  return { method: "GET", path: "/images/json", query: { filters: JSON.stringify({ label: [label] }) } };
}

/** Where Docker's CLI looks for the daemon unless told otherwise. */
const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * What decides which daemon `docker` talks to on the host, in the environment the deploy's
 * commands run with: DOCKER_HOST, DOCKER_CONTEXT and the CLI config's currentContext.
 */
export function endpointProbe(): Cmd {
  return cmd(
    "printf",
    "'%s\\n'",
    '"${DOCKER_HOST-}"',
    '"${DOCKER_CONTEXT-}"',
    ";",
    "grep",
    "-o",
    `'"currentContext": *"[^"]*"'`,
    '"${DOCKER_CONFIG:-$HOME/.docker}/config.json"',
    "2>/dev/null",
    ";",
    "true",
  );
}

/**
 * The daemon's unix socket on the host from endpointProbe's output, or undefined when `docker`
 * there talks to something else (a TCP or ssh:// DOCKER_HOST, a context other than default).
 */
export function socketFromProbe(output: string): string | undefined {
  const [host = "", context = "", ...rest] = output.split("\n");
  if (context !== "" && context !== "default") return undefined;
  const current = /"currentContext": *"([^"]*)"/.exec(rest.join("\n"))?.[1];
  if (current !== undefined && current !== "" && current !== "default") return undefined;
  if (host === "") return DEFAULT_DOCKER_SOCKET;
  return /^unix:\/\/(\/\S+)$/.exec(host)?.[1];
}

/** An env file's entries as Docker reads them: `KEY=rest of line`, literally; blank lines and `#` comments skipped. */
export function envFileLines(content: string | undefined): string[] | undefined {
  if (content === undefined) return undefined;
  const lines: string[] = [];
  for (const raw of content.split("\n")) {
    // Docker's line scanner drops one carriage return before the newline.
    const line = raw.replace(/\r$/, "").replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const equals = line.indexOf("=");
    // A bare NAME takes the server's environment: only the command can do that.
    if (equals < 1 || /\s/.test(line.slice(0, equals))) return undefined;
    lines.push(line);
  }
  return lines;
}

// Docker Engine API requests, as data. The operations in container.ts and host-state.ts render
// themselves as these: where the run reaches the host's Docker API over its SSH connection, the
// requests replace the command; everywhere else (--plan, a daemon on another socket, forwarding
// refused) the command runs as written.
import { cmd, Redacted, type Cmd } from "../core/cmd.js";

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
  /** The reply is a container's inspect: its health status (else its state) is the command's output, as `docker inspect --format` prints it. */
  readonly printsStatus?: boolean;
  /** Sent only when the call before it succeeded (a start after its create); otherwise every call is sent, as `docker rm a b` tries each. */
  readonly afterSuccess?: boolean;
  /** Registry credentials for the daemon (the `X-Registry-Auth` header), as `docker pull`/`push` send them. */
  readonly registryAuth?: Redacted;
  /**
   * The reply is Docker's JSON progress stream (a pull or a push): an `error` line in it is a
   * failure although the status is 200, and a stream that stays silent means the registry stalled.
   */
  readonly progress?: boolean;
  /** The reply (an image's inspect) must carry this label with this value, as `… | grep -x VALUE` checks. */
  readonly expectLabel?: { readonly label: string; readonly value: string; readonly otherwise: string };
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

/** `docker pull REF` (registry credentials as `registryAuth`, see registryAuth()). */
export function pullImage(reference: string, auth: Redacted | undefined): DockerApiCall {
  const { repository, tag } = splitReference(reference);
  return { method: "POST", path: "/images/create", query: { fromImage: repository, tag }, progress: true, ...(auth === undefined ? {} : { registryAuth: auth }) };
}

/** `docker push REF` */
export function pushImage(reference: string, auth: Redacted | undefined): DockerApiCall {
  const { repository, tag } = splitReference(reference);
  return { method: "POST", path: `/images/${segment(repository)}/push`, query: { tag }, progress: true, ...(auth === undefined ? {} : { registryAuth: auth }) };
}

/** The `X-Registry-Auth` value for a registry: JSON in URL-safe base64 with padding, as the docker CLI (Go's URLEncoding) sends it. */
export function registryAuth(username: string, password: string, server: string | undefined): Redacted {
  const json = JSON.stringify({ username, password, serveraddress: server ?? "https://index.docker.io/v1/" });
  return new Redacted(Buffer.from(json).toString("base64").replace(/\+/g, "-").replace(/\//g, "_"));
}

/** `repo:tag` → repository and tag (`latest` when none); a digest reference keeps its digest as the tag. */
function splitReference(reference: string): { repository: string; tag: string } {
  const at = reference.indexOf("@");
  if (at !== -1) return { repository: reference.slice(0, at), tag: reference.slice(at + 1) };
  const colon = reference.lastIndexOf(":");
  return colon > reference.lastIndexOf("/") ? { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) } : { repository: reference, tag: "latest" };
}

/** `docker inspect -f '{{ .Config.Labels.LABEL }}' REF | grep -x VALUE`: the image's label must have the value. */
export function checkImageLabel(reference: string, label: string, value: string): DockerApiCall {
  return { ...inspectImage(reference), expectLabel: { label, value, otherwise: `Image ${reference} is missing the '${label}' label` } };
}

/** The error a progress stream (a pull's or a push's) ends with, if any: Docker answers 200 and reports it in the stream. */
export function progressError(body: string): string | undefined {
  for (const line of body.split("\n").reverse()) {
    if (line.trim() === "") continue;
    try {
      const message = JSON.parse(line) as { error?: unknown; errorDetail?: { message?: unknown } };
      if (typeof message.error === "string") return message.error;
      if (typeof message.errorDetail?.message === "string") return message.errorDetail.message;
    } catch {
      // not a JSON line: not an error report
    }
  }
  return undefined;
}

/** A container inspect's health status, else its state (`running`, `exited`…); "" when the body isn't one. */
export function healthOrState(body: string): string {
  try {
    const state = (JSON.parse(body) as { State?: { Status?: unknown; Health?: { Status?: unknown } | null } | null }).State;
    const status = state?.Health ? state.Health.Status : state?.Status;
    return typeof status === "string" ? status : "";
  } catch {
    return "";
  }
}

/** The value of a label in an image's inspect (undefined when there is none or the body isn't one). */
export function imageLabel(body: string, label: string): string | undefined {
  try {
    const labels = (JSON.parse(body) as { Config?: { Labels?: Record<string, unknown> | null } | null }).Config?.Labels;
    const value = labels?.[label];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
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

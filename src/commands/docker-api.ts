// Docker Engine API requests for docker commands a deploy runs often, built as data beside the
// commands themselves. A batch step may carry them (BatchStep.api): where the run reaches the
// host's Docker API over its SSH connection, the requests replace the command; everywhere else
// (--plan, a daemon on another socket, forwarding refused) the command runs as written.
import { shellSplit } from "../secrets/shellwords.js";
import { cmd, Redacted, render, type Cmd } from "./cmd.js";

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
function segment(name: string): string {
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
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

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

/**
 * `docker run --detach …` as a create and a start, or undefined when the command uses anything
 * this doesn't translate exactly (then it runs as the command). Translated: --restart, --name,
 * --network, --hostname, --env, --env-file (from `envFiles`, the content uploaded beside it),
 * --log-driver, --log-opt, --volume, --label, the image and its command. Only commands of plain
 * characters: no quoting or expansion the server's shell would do differently from this split.
 */
export function runContainer(command: Cmd, envFiles: Readonly<Record<string, string>>): DockerApiCall[] | undefined {
  const text = render(command, { redact: false });
  if (!/^[A-Za-z0-9_\-.:=@%+,/" ]*$/.test(text)) return undefined;
  let words: string[];
  try {
    words = shellSplit(text);
  } catch {
    return undefined; // an unmatched quote
  }
  if (words[0] !== "docker" || words[1] !== "run") return undefined;
  let name: string | undefined;
  let detached = false;
  const fileEnv: string[] = [];
  const env: string[] = [];
  const labels: Record<string, string> = {};
  const binds: string[] = [];
  const hostConfig: {
    RestartPolicy?: { Name: string; MaximumRetryCount?: number };
    NetworkMode?: string;
    LogConfig: { Type: string; Config: Record<string, string> };
  } = {
    LogConfig: { Type: "", Config: {} },
  };
  let hostname: string | undefined;
  let index = 2;
  const value = (): string | undefined => words[++index];
  for (; index < words.length && words[index]!.startsWith("-"); index++) {
    const flag = words[index]!;
    if (flag === "--detach" || flag === "-d") {
      detached = true;
      continue;
    }
    const argument = value();
    if (argument === undefined) return undefined;
    if (flag === "--name") name = argument;
    else if (flag === "--restart") {
      const [policy = "", retries] = argument.split(":");
      hostConfig.RestartPolicy = { Name: policy, ...(retries === undefined ? {} : { MaximumRetryCount: Number(retries) }) };
    } else if (flag === "--network") hostConfig.NetworkMode = argument;
    else if (flag === "--hostname") hostname = argument;
    else if (flag === "--env" || flag === "-e") {
      if (!argument.includes("=")) return undefined; // `--env NAME` reads the server's environment
      env.push(argument);
    } else if (flag === "--env-file") {
      const lines = envFileLines(envFiles[argument]);
      if (lines === undefined) return undefined;
      fileEnv.push(...lines);
    } else if (flag === "--log-driver") hostConfig.LogConfig.Type = argument;
    else if (flag === "--log-opt") {
      const equals = argument.indexOf("=");
      if (equals < 1) return undefined;
      hostConfig.LogConfig.Config[argument.slice(0, equals)] = argument.slice(equals + 1);
    } else if (flag === "--volume" || flag === "-v") binds.push(argument);
    else if (flag === "--label") {
      const equals = argument.indexOf("=");
      labels[equals === -1 ? argument : argument.slice(0, equals)] = equals === -1 ? "" : argument.slice(equals + 1);
    } else return undefined;
  }
  const [image, ...cmdWords] = words.slice(index);
  if (!detached || name === undefined || image === undefined) return undefined;
  const body = {
    Image: image,
    ...(hostname === undefined ? {} : { Hostname: hostname }),
    // The env files' lines first, then the --env ones, as the CLI sends them (it keeps no order among the latter).
    Env: [...fileEnv, ...env],
    Labels: labels,
    ...(cmdWords.length > 0 ? { Cmd: cmdWords } : {}),
    HostConfig: { ...hostConfig, ...(binds.length > 0 ? { Binds: binds } : {}) },
    // The CLI names the network's endpoint too.
    ...(hostConfig.NetworkMode === undefined ? {} : { NetworkingConfig: { EndpointsConfig: { [hostConfig.NetworkMode]: {} } } }),
  };
  return [
    { method: "POST", path: "/containers/create", query: { name }, body: new Redacted(JSON.stringify(body)), printsId: true },
    { method: "POST", path: `/containers/${segment(name)}/start`, afterSuccess: true },
  ];
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

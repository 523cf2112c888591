// The host's Docker Engine API, reached over the run's SSH connection: ssh forwards a local socket
// to the daemon's, and the deploy's docker commands (its state read, rename, run, stop, prune,
// tag) go as HTTP requests instead of CLI processes on the server. A docker CLI process costs a
// small server about 60 ms of CPU, the request only the daemon's own work.
//
// Only where the commands' `docker` would reach the same daemon: the host's environment is
// probed first (DOCKER_HOST, DOCKER_CONTEXT, the CLI's current context); a TCP or ssh:// daemon,
// a context, forwarding refused or a socket the SSH user can't open leave every command as the
// docker CLI command it is. Opened by the deploys only (openDockerApi); --plan never opens it,
// nor does BERTH_DOCKER_API=off (every command as the docker CLI command, as Kamal runs them).
import type { BatchStep } from "../commands/batch.js";
import { describeCall, endpointProbe, type DockerApiCall, inspectContainer, inspectImage, listContainers, listImages, socketFromProbe, succeeded } from "../commands/docker-api.js";
import { PROXY_CONTAINER_NAME } from "../config/index.js";
import type { Level } from "../output/index.js";
import { DockerApiClient, daemonError, type DockerApiReply } from "../transport/docker-api.js";
import { BerthError } from "../util/errors.js";
import { showAsCommand } from "./display.js";
import { containerLine, hostStateCommand, imageLine, type ContainerInspect } from "./host-state.js";
import type { Run } from "./run.js";

interface RunApis {
  readonly hosts: Map<string, Promise<DockerApiClient | undefined>>;
  readonly open: DockerApiClient[];
}

const apis = new WeakMap<Run, RunApis>();

function of(run: Run): RunApis {
  let entry = apis.get(run);
  if (entry === undefined) {
    entry = { hosts: new Map(), open: [] };
    apis.set(run, entry);
    const opened = entry.open;
    run.onExit(() => opened.forEach((client) => client.close()));
  }
  return entry;
}

/** Starts opening the host's Docker API in the background; commands keep the CLI until it answers. */
export function openDockerApi(run: Run, host: string): void {
  if (/^(off|false|0|no)$/i.test(run.env.BERTH_DOCKER_API ?? "")) return;
  const entry = of(run);
  if (entry.hosts.has(host)) return;
  const opening = (async (): Promise<DockerApiClient | undefined> => {
    if (!(await run.forwardsSockets())) return undefined;
    const probe = await run.exec(host, endpointProbe(), { level: "debug", allowFailure: true });
    const socket = probe.code === 0 ? socketFromProbe(probe.stdout) : undefined;
    if (socket === undefined) return undefined;
    const local = await run.forwardSocket(host, socket);
    if (local === undefined) return undefined;
    const client = new DockerApiClient(local);
    entry.open.push(client);
    if (await client.ping()) return client;
    run.output.debug(`No Docker API answer through ${socket} on ${host}: using the docker CLI there`);
    return undefined;
  })().catch(() => undefined);
  entry.hosts.set(host, opening);
}

/** The host's Docker API when this run opened it and it answers (waiting for the opening), else undefined. */
export async function dockerApiOf(run: Run, host: string): Promise<DockerApiClient | undefined> {
  return apis.get(run)?.hosts.get(host);
}

/** Requests sent to Docker APIs so far (for the run's figures). */
export function dockerApiRequests(run: Run): number {
  return apis.get(run)?.open.reduce((sum, client) => sum + client.requests, 0) ?? 0;
}

const OVER_SSH = "(Docker API, over the SSH connection)";

/** Runs a step's requests and shows them as the command they stand for. */
export function runApiStep(run: Run, host: string, step: BatchStep, client: DockerApiClient, level: Level): Promise<{ code: number; stdout: string; stderr: string }> {
  const calls = step.api ?? [];
  return showAsCommand(run.output, { host, command: step.command, wrapped: `${calls.map(describeCall).join(" ; ")} ${OVER_SSH}`, level }, async (print) => {
    // One after the other, as the docker CLI handles several names (`docker rmi a b`).
    const replies: DockerApiReply[] = [];
    for (const call of calls) {
      const previous = replies.at(-1);
      if (call.afterSuccess && previous !== undefined && !succeeded(calls[replies.length - 1]!, previous.status)) break;
      replies.push(await client.request(call, { timeoutMs: requestTimeout(call) }).catch((error: unknown) => apiFailure(run, host, error)));
    }
    const failures = replies.filter((reply, index) => !succeeded(calls[index]!, reply.status)).map(daemonError);
    const stdout = replies
      .filter((reply, index) => calls[index]!.printsId === true && succeeded(calls[index]!, reply.status))
      .map((reply) => `${(JSON.parse(reply.body) as { Id?: string }).Id ?? ""}\n`)
      .join("");
    const stderr = failures.map((line) => `${line}\n`).join("");
    if (stdout !== "") print("stdout", stdout);
    if (stderr !== "") print("stderr", stderr);
    return { code: failures.length === 0 ? 0 : 1, stdout, stderr };
  });
}

/** A stop waits up to its timeout (`t`) before the daemon answers; other requests answer at once. */
function requestTimeout(call: { query?: Readonly<Record<string, string>> }): number {
  const wait = Number(call.query?.t ?? 10);
  return (Number.isFinite(wait) && wait >= 0 ? wait : 10) * 1000 + 30_000;
}

interface ImageSummary {
  readonly Id: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly RepoTags?: readonly string[] | null;
}

interface ImageInspect {
  readonly Id: string;
  readonly Config?: { readonly Labels?: Readonly<Record<string, string>> | null } | null;
  readonly RepoTags?: readonly string[] | null;
}

/**
 * hostStateCommand's output, from the API: the app's containers (each inspected), kamal-proxy,
 * the `latest` and version images and the app's images. Shown as the command it stands for.
 */
export async function hostStateLines(run: Run, host: string, client: DockerApiClient): Promise<string> {
  const config = run.config;
  const service = `service=${config.service}`;
  const list = listContainers(service);
  const images = listImages(service);
  const wrapped = `${describeCall(list)} ; ${describeCall(images)} ; … ${OVER_SSH}`;
  const read = await showAsCommand(run.output, { host, command: hostStateCommand(config), wrapped, level: "debug" }, async () => ({
    code: 0,
    lines: await stateLines(client, config, list, images).catch((error: unknown) => apiFailure(run, host, error)),
  }));
  return read.lines;
}

/**
 * A request that got no answer (the socket failed or time ran out): the host's lost connection
 * when that is why, else a failure naming the host. Never a bare socket error.
 */
async function apiFailure(run: Run, host: string, error: unknown): Promise<never> {
  if (error instanceof BerthError) throw error;
  const lost = await run.connectionLost(host);
  throw lost ?? new BerthError(`The Docker API on ${host} did not answer: ${error instanceof Error ? error.message : String(error)}`);
}

async function stateLines(client: DockerApiClient, config: Run["config"], list: DockerApiCall, images: DockerApiCall): Promise<string> {
  const [containers, proxy, latest, version, listed] = await Promise.all([
    client.json<{ Id: string }[]>(list),
    client.json<ContainerInspect>(inspectContainer(PROXY_CONTAINER_NAME)),
    client.json<ImageInspect>(inspectImage(config.latestImage)),
    client.json<ImageInspect>(inspectImage(config.absoluteImage)),
    client.json<ImageSummary[]>(images),
  ]);
  const inspected = await Promise.all((containers ?? []).map((container) => client.json<ContainerInspect>(inspectContainer(container.Id))));
  const lines = [
    ...[...inspected, proxy].filter((container) => container !== undefined).map(containerLine),
    ...[latest, version].filter((image) => image !== undefined).map((image) => imageLine(image.Id, image.Config?.Labels, image.RepoTags)),
    ...(listed ?? []).map((image) => imageLine(image.Id, image.Labels, image.RepoTags)),
  ];
  return `${lines.join("\n")}\n`;
}

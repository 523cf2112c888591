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
import { describeCall, endpointProbe, type DockerApiCall, imageLabel, inspectContainer, inspectImage, listContainers, listImages, progressError, socketFromProbe, succeeded } from "../commands/docker-api.js";
import { PROXY_CONTAINER_NAME } from "../config/index.js";
import type { Level } from "../output/index.js";
import { DockerApiClient, daemonError, type DockerApiReply } from "../transport/docker-api.js";
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
export function runApiStep(run: Run, host: string, step: BatchStep, client: DockerApiClient, level: Level, via = OVER_SSH): Promise<{ code: number; stdout: string; stderr: string }> {
  const calls = step.api ?? [];
  return showAsCommand(run.output, { host, command: step.command, wrapped: `${calls.map(describeCall).join(" ; ")} ${via}`, level }, async (print) => {
    // One after the other, as the docker CLI handles several names (`docker rmi a b`).
    const replies: DockerApiReply[] = [];
    const failures: (string | undefined)[] = [];
    for (const call of calls) {
      if (call.afterSuccess && failures.length > 0 && failures.at(-1) !== undefined) break;
      const reply = await send(run, client, call);
      replies.push(reply);
      failures.push(replyFailure(call, reply));
    }
    const stdout = replies
      .map((reply, index) => {
        const call = calls[index]!;
        if (failures[index] !== undefined) return "";
        if (call.printsId === true) return `${(JSON.parse(reply.body) as { Id?: string }).Id ?? ""}\n`;
        return call.expectLabel === undefined ? "" : `${call.expectLabel.value}\n`; // what `grep -x` prints
      })
      .join("");
    const stderr = failures.filter((line) => line !== undefined).map((line) => `${line}\n`).join("");
    if (stdout !== "") print("stdout", stdout);
    if (stderr !== "") print("stderr", stderr);
    return { code: failures.every((failure) => failure === undefined) ? 0 : 1, stdout, stderr };
  });
}

/**
 * How long a pull or a push may go without reporting progress before it counts as stalled
 * (BERTH_REGISTRY_STALL_TIMEOUT seconds, default 60): Docker itself waits forever for a registry
 * that stops answering in the middle of a transfer.
 */
export function registryStallMs(env: Readonly<Record<string, string | undefined>>): number {
  const seconds = Number(env.BERTH_REGISTRY_STALL_TIMEOUT ?? "");
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 60) * 1000;
}

/** A request's reply; a pull or push whose stream fell silent is a failed reply rather than an error, so the step fails like the command. */
async function send(run: Run, client: DockerApiClient, call: DockerApiCall): Promise<DockerApiReply> {
  if (!call.progress) return client.request(call, { timeoutMs: requestTimeout(call) });
  try {
    return await client.request(call, { timeoutMs: registryStallMs(run.env) });
  } catch (error) {
    const message = `${(error as Error).message}: the registry stopped answering`;
    return { status: 0, body: JSON.stringify({ error: message }) };
  }
}

/** Why a reply is a failure of the command it stands for, or undefined when it isn't one. */
function replyFailure(call: DockerApiCall, reply: DockerApiReply): string | undefined {
  if (call.progress && reply.status === 0) return progressError(reply.body);
  if (!succeeded(call, reply.status)) return daemonError(reply);
  if (call.progress) return progressError(reply.body);
  if (call.expectLabel !== undefined && imageLabel(reply.body, call.expectLabel.label) !== call.expectLabel.value) {
    return call.expectLabel.otherwise;
  }
  return undefined;
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
    lines: await stateLines(client, config, list, images),
  }));
  return read.lines;
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

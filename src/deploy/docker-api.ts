// The host's Docker Engine API as a carrier of operations: a local socket forwarded by ssh over
// the host's SSH connection to the daemon's socket, so a docker step costs a request instead of a
// docker CLI process on the server. It takes the operations that render as requests
// (src/commands/container.ts, host-state.ts) and shows each as the command it stands for. Opened
// by the deploys only (open); --plan never opens it, nor does BERTH_DOCKER_API=off (every command
// as the docker CLI command, as Kamal runs them).
import { containerRequests, type ContainerOperation } from "../commands/container.js";
import { describeCall, endpointProbe, healthOrState, inspectContainer, inspectImage, listContainers, listImages, socketFromProbe, succeeded, type DockerApiCall } from "../commands/docker-api.js";
import { containerLine, imageLine, type ContainerInspect, type HostStateRead } from "../commands/host-state.js";
import { transferRequests, type ImageLabelCheck, type ImagePull } from "../commands/image-transfer.js";
import type { Operation } from "../commands/operation.js";
import { PROXY_CONTAINER_NAME } from "../config/index.js";
import type { Level } from "../output/index.js";
import { DockerApiClient, daemonError, type DockerApiReply } from "../transport/docker-api.js";
import { BerthError } from "../util/errors.js";
import type { RunAccess, StepOutcome } from "./carrier.js";
import { showAsCommand } from "./display.js";
import { carryTransfer } from "./transfer.js";

/** The operations this carrier can take. */
export type ApiOperation = ContainerOperation | HostStateRead | ImagePull | ImageLabelCheck;

const OVER_SSH = "(Docker API, over the SSH connection)";

export class DockerApis {
  private readonly hosts = new Map<string, Promise<DockerApiClient | undefined>>();
  private readonly open: DockerApiClient[] = [];

  constructor(private readonly access: RunAccess) {}

  /** Starts opening the host's Docker API in the background; operations keep the CLI until it answers. */
  openOn(host: string): void {
    if (/^(off|false|0|no)$/i.test(this.access.env.BERTH_DOCKER_API ?? "")) return;
    if (this.hosts.has(host)) return;
    const opening = (async (): Promise<DockerApiClient | undefined> => {
      if (!(await this.access.forwardsSockets())) return undefined;
      const probe = await this.access.exec(host, endpointProbe(), { level: "debug", allowFailure: true });
      const socket = probe.code === 0 ? socketFromProbe(probe.stdout) : undefined;
      if (socket === undefined) return undefined;
      const local = await this.access.forwardSocket(host, socket);
      if (local === undefined) return undefined;
      const client = new DockerApiClient(local);
      if (this.open.length === 0) this.access.onExit(() => this.open.forEach((opened) => opened.close()));
      this.open.push(client);
      if (await client.ping()) return client;
      this.access.output.debug(`No Docker API answer through ${socket} on ${host}: using the docker CLI there`);
      return undefined;
    })().catch(() => undefined);
    this.hosts.set(host, opening);
  }

  /** Whether the operation goes by the host's API (waiting for its opening), rather than as its command. */
  async carries(host: string, operation: Operation): Promise<boolean> {
    return (await this.clientFor(host, operation)) !== undefined;
  }

  /** Requests sent so far (for the run's figures). */
  get requests(): number {
    return this.open.reduce((sum, client) => sum + client.requests, 0);
  }

  /** Runs an operation this carrier takes (see carries), shown as the command it stands for. */
  async carry(host: string, operation: ApiOperation, level: Level): Promise<StepOutcome> {
    const client = await this.clientFor(host, operation);
    if (client === undefined) throw new Error(`no Docker API on ${host} for ${operation.kind}`);
    if (operation.kind === "host-state") return this.readState(host, client, operation);
    if (operation.kind === "image-pull" || operation.kind === "image-label-check") {
      const wrapped = `${transferRequests(operation).map(describeCall).join(" ; ")} ${OVER_SSH}`;
      return showAsCommand(this.access.output, { host, command: operation, wrapped, level }, async (print) => {
        const context = { env: this.access.env, signal: this.access.interrupted };
        const outcome = await carryTransfer(client, operation, context).catch((error: unknown) => this.failure(host, error));
        if (outcome.stdout !== "") print("stdout", outcome.stdout);
        if (outcome.stderr !== "") print("stderr", outcome.stderr);
        return outcome;
      });
    }
    const calls = containerRequests(operation) ?? [];
    return showAsCommand(this.access.output, { host, command: operation, wrapped: `${calls.map(describeCall).join(" ; ")} ${OVER_SSH}`, level }, async (print) => {
      // One after the other, as the docker CLI handles several names (`docker rmi a b`).
      const replies: DockerApiReply[] = [];
      for (const call of calls) {
        const previous = replies.at(-1);
        if (call.afterSuccess && previous !== undefined && !succeeded(calls[replies.length - 1]!, previous.status)) break;
        replies.push(await client.request(call, { timeoutMs: requestTimeout(call) }).catch((error: unknown) => this.failure(host, error)));
      }
      const failures = replies.filter((reply, index) => !succeeded(calls[index]!, reply.status)).map(daemonError);
      const stdout = replies
        .map((reply, index) => (succeeded(calls[index]!, reply.status) ? printed(calls[index]!, reply.body) : ""))
        .join("");
      const stderr = failures.map((line) => `${line}\n`).join("");
      if (stdout !== "") print("stdout", stdout);
      if (stderr !== "") print("stderr", stderr);
      return { code: failures.length === 0 ? 0 : 1, stdout, stderr };
    });
  }

  /**
   * A request that got no answer (the socket failed or time ran out): the host's lost connection
   * when that is why, else a failure naming the host. Never a bare socket error.
   */
  private async failure(host: string, error: unknown): Promise<never> {
    if (error instanceof BerthError) throw error;
    const lost = await this.access.connectionLost(host);
    throw lost ?? new BerthError(`The Docker API on ${host} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }

  private async clientFor(host: string, operation: Operation): Promise<DockerApiClient | undefined> {
    const transfer = operation.kind === "image-pull" || operation.kind === "image-label-check";
    const renders = transfer || operation.kind === "host-state" || (isContainerOperation(operation) && containerRequests(operation) !== undefined);
    return renders ? this.hosts.get(host) : undefined;
  }

  /** The state read's lines from the API: the app's containers (each inspected), kamal-proxy, the `latest` and version images, the app's images. */
  private readState(host: string, client: DockerApiClient, read: HostStateRead): Promise<StepOutcome> {
    const service = `service=${read.service}`;
    const list = listContainers(service);
    const images = listImages(service);
    const wrapped = `${describeCall(list)} ; ${describeCall(images)} ; … ${OVER_SSH}`;
    return showAsCommand(this.access.output, { host, command: read, wrapped, level: "debug" }, async () => ({
      code: 0,
      stdout: await stateLines(client, read, list, images).catch((error: unknown) => this.failure(host, error)),
      stderr: "",
    }));
  }
}

function isContainerOperation(operation: Operation): operation is ContainerOperation {
  switch (operation.kind) {
    case "container-run":
    case "container-stop":
    case "container-rename":
    case "container-remove":
    case "image-tag":
    case "image-remove":
    case "container-status":
      return true;
    default:
      return false;
  }
}

/** What the command prints for a successful call: a created container's ID, a container's status. */
function printed(call: DockerApiCall, body: string): string {
  if (call.printsId === true) return `${(JSON.parse(body) as { Id?: string }).Id ?? ""}\n`;
  if (call.printsStatus === true) return `${healthOrState(body)}\n`;
  return "";
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

async function stateLines(client: DockerApiClient, read: HostStateRead, list: DockerApiCall, images: DockerApiCall): Promise<string> {
  const [containers, proxy, latest, version, listed] = await Promise.all([
    client.json<{ Id: string }[]>(list),
    client.json<ContainerInspect>(inspectContainer(PROXY_CONTAINER_NAME)),
    client.json<ImageInspect>(inspectImage(read.latestImage)),
    client.json<ImageInspect>(inspectImage(read.versionImage)),
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

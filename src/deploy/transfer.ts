// Pulls, pushes and the label check by a Docker Engine API (a host's, or this machine's for the
// push), each failing as its command would: a progress stream reports a failure in the stream with
// status 200, and one that falls silent for the stall time fails the step, where `docker pull` and
// `docker push` would wait forever for a registry that stopped answering in the middle of a layer.
import { imageLabel, progressError, type DockerApiCall } from "../commands/docker-api.js";
import { transferRequests, type TransferOperation } from "../commands/image-transfer.js";
import type { DockerApiClient } from "../transport/docker-api.js";
import { daemonError, type DockerApiReply } from "../transport/docker-api.js";
import type { StepOutcome } from "./carrier.js";

/**
 * How long a pull or a push may go without reporting progress before it counts as stalled
 * (BERTH_REGISTRY_STALL_TIMEOUT seconds, default 60).
 */
export function registryStallMs(env: Readonly<Record<string, string | undefined>>): number {
  const seconds = Number(env.BERTH_REGISTRY_STALL_TIMEOUT ?? "");
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 60) * 1000;
}

export interface TransferContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Ends the request (Ctrl-C, SIGTERM): the daemon stops the transfer when its client goes. */
  readonly signal?: AbortSignal;
}

/** The operation's request and how it ended, as its command would have: exit status and output. */
export async function carryTransfer(client: DockerApiClient, operation: TransferOperation, context: TransferContext): Promise<StepOutcome> {
  const [call] = transferRequests(operation);
  if (call === undefined) return { code: 0, stdout: "", stderr: "" };
  const reply = await send(client, call, context);
  const failure = replyFailure(call, reply);
  if (failure !== undefined) return { code: 1, stdout: "", stderr: `${failure}\n` };
  // What `grep -x VALUE` prints for the label check.
  return { code: 0, stdout: call.expectLabel === undefined ? "" : `${call.expectLabel.value}\n`, stderr: "" };
}

/** A request's reply; a transfer whose stream fell silent is a failed reply rather than an error, so the step fails like the command. */
async function send(client: DockerApiClient, call: DockerApiCall, context: TransferContext): Promise<DockerApiReply> {
  const signal = context.signal === undefined ? {} : { signal: context.signal };
  if (!call.progress) return client.request(call, signal);
  try {
    return await client.request(call, { timeoutMs: registryStallMs(context.env), ...signal });
  } catch (error) {
    context.signal?.throwIfAborted();
    if (!(error instanceof Error) || !error.message.includes(": no progress for ")) throw error; // the socket failed: the caller says why
    return { status: 0, body: JSON.stringify({ error: `${(error as Error).message}: the registry stopped answering` }) };
  }
}

/** Why a reply is a failure of the command it stands for, or undefined when it isn't one. */
function replyFailure(call: DockerApiCall, reply: DockerApiReply): string | undefined {
  if (call.progress && reply.status === 0) return progressError(reply.body);
  if (reply.status < 200 || reply.status >= 300) return daemonError(reply);
  if (call.progress) return progressError(reply.body);
  if (call.expectLabel !== undefined && imageLabel(reply.body, call.expectLabel.label) !== call.expectLabel.value) return call.expectLabel.otherwise;
  return undefined;
}

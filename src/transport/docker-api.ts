// The Docker Engine API over a unix socket: here, a local socket that ssh forwards to the host's
// /var/run/docker.sock over the shared connection. A request costs the daemon's work and a round
// trip; a `docker` command costs a CLI process on the server too (about 60 ms of CPU each, most
// of a short command's time on a small server).
import http from "node:http";
import { describeCall, type DockerApiCall } from "../commands/docker-api.js";
import { BerthError } from "../util/errors.js";

export interface DockerApiReply {
  readonly status: number;
  readonly body: string;
}

/** A daemon's error as the docker CLI prints it: `Error response from daemon: <message>`. */
export function daemonError(reply: DockerApiReply): string {
  let message = reply.body.trim();
  try {
    const parsed = JSON.parse(reply.body) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // not JSON: the body as it is
  }
  return `Error response from daemon: ${message || `HTTP ${reply.status}`}`;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class DockerApiClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  /** Requests sent so far. */
  requests = 0;

  constructor(private readonly socketPath: string) {}

  /** Sends a call; any HTTP status is an answer. Rejects only when the socket fails or time runs out. */
  request(call: DockerApiCall, { timeoutMs = DEFAULT_TIMEOUT_MS }: { timeoutMs?: number } = {}): Promise<DockerApiReply> {
    const query = new URLSearchParams(call.query ?? {}).toString();
    this.requests++;
    return new Promise((resolve, reject) => {
      const headers = call.body === undefined ? {} : { "Content-Type": "application/json" };
      const request = http.request(
        { socketPath: this.socketPath, agent: this.agent, method: call.method, path: `${call.path}${query === "" ? "" : `?${query}`}`, timeout: timeoutMs, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error(`Docker API ${describeCall(call)}: no answer in ${timeoutMs / 1000} s`)));
      request.on("error", reject);
      request.end(call.body?.value);
    });
  }

  /** The parsed body of a 200 answer, or undefined for 404 (no such object). Other answers reject. */
  async json<T>(call: DockerApiCall): Promise<T | undefined> {
    const reply = await this.request(call);
    if (reply.status === 404) return undefined;
    if (reply.status !== 200) throw new BerthError(daemonError(reply));
    return JSON.parse(reply.body) as T;
  }

  /** True when a Docker daemon answers `/_ping`. */
  async ping(): Promise<boolean> {
    const reply = await this.request({ method: "GET", path: "/_ping" }, { timeoutMs: 5_000 }).catch(() => undefined);
    return reply?.status === 200 && reply.body.trim() === "OK";
  }

  close(): void {
    this.agent.destroy();
  }
}

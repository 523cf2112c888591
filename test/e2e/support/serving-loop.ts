// A small bounded request loop for the Kamal-interop, upgrade and destinations tests:
// GETs through the servers' proxies in rotation, each on a new connection, as a
// load balancer would; a request whose connection can't be opened goes to the next server (and
// counts as "failed over"). It stops by itself after `maxRequests` or `maxDurationMs`.
import http from "node:http";
import https from "node:https";

export interface Answer {
  readonly server: string;
  readonly at: number;
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
  /** Servers whose connection never opened before this one answered. */
  readonly failedOver: readonly string[];
}

export interface ServingLoop {
  /** Stops sending, waits for the requests in flight, returns every answer in order. */
  stop(): Promise<Answer[]>;
}

export interface ServingLoopOptions {
  readonly servers: readonly string[];
  readonly path: string;
  /** Extra headers (e.g. Host, to route through a proxy host). */
  readonly headers?: Readonly<Record<string, string>>;
  /** HTTPS on port 443, verified against this CA for this server name. */
  readonly tls?: { readonly ca: string; readonly servername: string };
  readonly maxRequests: number;
  readonly maxDurationMs: number;
  readonly pauseMs?: number;
}

export function startServingLoop(options: ServingLoopOptions): ServingLoop {
  const deadline = Date.now() + options.maxDurationMs;
  const answers: Answer[] = [];
  let stopped = false;
  const loop = async (): Promise<void> => {
    for (let index = 0; !stopped && index < options.maxRequests && Date.now() < deadline; index++) {
      answers.push(await oneRequest(options, index % options.servers.length));
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 20));
    }
  };
  const running = loop();
  return {
    async stop() {
      stopped = true;
      await running;
      return answers;
    },
  };
}

async function oneRequest(options: ServingLoopOptions, first: number): Promise<Answer> {
  const failedOver: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const server = options.servers[(first + attempt) % options.servers.length]!;
    const outcome = await get(server, options);
    const last = attempt === options.servers.length - 1;
    if (outcome.error !== undefined && !outcome.connected && !last) {
      failedOver.push(server);
      continue;
    }
    return { server, at: Date.now(), failedOver, ...(outcome.error === undefined ? { status: outcome.status, body: outcome.body } : { error: outcome.error }) };
  }
}

interface Outcome {
  readonly connected: boolean;
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

function get(server: string, { path, headers = {}, tls }: ServingLoopOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let connected = false;
    const common = { host: server, path, agent: false, headers: { Connection: "close", ...headers }, timeout: 5000 } as const;
    const onResponse = (response: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ connected, status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").trim() }));
      response.on("error", (error) => resolve({ connected, error: error.message }));
    };
    const request = tls === undefined ? http.get({ ...common, port: 80 }, onResponse) : https.get({ ...common, port: 443, ca: tls.ca, servername: tls.servername }, onResponse);
    request.on("socket", (socket) => socket.once("connect", () => (connected = true)));
    request.on("timeout", () => request.destroy(new Error("no answer in 5 s")));
    request.on("error", (error) => resolve({ connected, error: error.message }));
  });
}

/** The answers that are not a 200 with one of `bodies`, as short lines for an assertion message. */
export function unexpected(answers: readonly Answer[], bodies: readonly string[]): string[] {
  return answers
    .filter((answer) => answer.status !== 200 || !bodies.includes(answer.body ?? ""))
    .map((answer) => `${new Date(answer.at).toISOString()} ${answer.server}: ${answer.error ?? `${answer.status} ${answer.body?.slice(0, 80)}`}`);
}

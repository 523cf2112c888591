// A bounded request loop through the proxies of several servers, as a load balancer in front of
// them would send it: each request goes to the next server in rotation, on a new connection; when
// that connection can't be opened (refused, or no answer to the SYN in time), the request goes to
// the next server instead, as load balancers do for a connection that never opened. Anything else
// (reset, timeout, an error status) is a failed request. Servers can be taken out of rotation
// (drained) and put back while it runs, as deploy hooks do with a real load balancer. Every request is recorded with its times,
// the server that answered, the status and the body, for checks against what was live when.
import http from "node:http";

export interface LoopRequest {
  readonly seq: number;
  /** Servers tried, in order; the last one gave the outcome. */
  readonly servers: readonly string[];
  /** Epoch milliseconds (fractional). */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status?: number;
  /** Trimmed. */
  readonly body?: string;
  /** Why no answer came (after the retries, if the last connection failed too). */
  readonly error?: string;
}

export interface RequestLoopOptions {
  /** Server addresses (port 80). */
  readonly servers: readonly string[];
  readonly path: string;
  /** Requests in flight at once (each its own sequence). */
  readonly concurrency?: number;
  /** Pause after each request of a sequence. */
  readonly pauseMs?: number;
  /** For one request, from sending it to its last byte. */
  readonly timeoutMs?: number;
  /** To open a connection before the next server is tried. */
  readonly connectTimeoutMs?: number;
  /** The loop stops by itself after this many requests or this long, whichever comes first. */
  readonly maxRequests: number;
  readonly maxDurationMs: number;
  /** Servers taken out of rotation at the moment (as a load balancer's drained members), asked before each request. */
  readonly drained?: () => ReadonlySet<string>;
}

export interface RequestLoop {
  /** Stops sending, waits for the requests in flight, and returns every request. */
  stop(): Promise<LoopRequest[]>;
  /** Requests finished so far. */
  readonly count: number;
}

export const now = (): number => performance.timeOrigin + performance.now();

export function startRequestLoop(options: RequestLoopOptions): RequestLoop {
  const { servers, maxRequests, maxDurationMs } = options;
  const concurrency = options.concurrency ?? 2;
  const pauseMs = options.pauseMs ?? 10;
  const deadline = now() + maxDurationMs;
  const done: LoopRequest[] = [];
  let stopped = false;
  let next = 0;

  const sequence = async (): Promise<void> => {
    while (!stopped && next < maxRequests && now() < deadline) {
      const seq = next++;
      done.push(await oneRequest(seq, servers, seq % servers.length, options));
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, sequence));
  return {
    get count() {
      return done.length;
    },
    async stop() {
      stopped = true;
      await running;
      return [...done].sort((a, b) => a.seq - b.seq);
    },
  };
}

async function oneRequest(seq: number, all: readonly string[], first: number, options: RequestLoopOptions): Promise<LoopRequest> {
  const startedAt = now();
  const drained = options.drained?.() ?? new Set<string>();
  const inRotation = all.filter((server) => !drained.has(server));
  const servers = inRotation.length > 0 ? inRotation : all;
  const tried: string[] = [];
  for (let attempt = 0; attempt < servers.length; attempt++) {
    const server = servers[(first + attempt) % servers.length]!;
    tried.push(server);
    const outcome = await get(server, options.path, options.connectTimeoutMs ?? 1000, options.timeoutMs ?? 5000);
    if (outcome.kind === "not connected" && attempt < servers.length - 1) continue;
    const base = { seq, servers: tried, startedAt, endedAt: now() };
    if (outcome.kind === "answer") return { ...base, status: outcome.status, body: outcome.body };
    return { ...base, error: outcome.error };
  }
  throw new Error("unreachable: the last server's outcome is always returned");
}

type Outcome = { kind: "answer"; status: number; body: string } | { kind: "not connected" | "failed"; error: string };

/** One GET on a new connection; "not connected" when the connection never opened. */
function get(server: string, path: string, connectTimeoutMs: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(requestTimer);
      resolve(outcome);
    };
    const request = http.get({ host: server, port: 80, path, agent: false, headers: { Connection: "close" } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => settle({ kind: "answer", status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").trim() }));
      response.on("error", (error) => settle({ kind: "failed", error: `${error.message} (while reading the answer)` }));
    });
    request.on("socket", (socket) => socket.once("connect", () => (connected = true)));
    request.on("error", (error) => settle({ kind: connected ? "failed" : "not connected", error: error.message }));
    const connectTimer = setTimeout(() => {
      if (connected) return;
      settle({ kind: "not connected", error: `no connection in ${connectTimeoutMs} ms` });
      request.destroy();
    }, connectTimeoutMs);
    const requestTimer = setTimeout(() => {
      settle({ kind: "failed", error: `no complete answer in ${timeoutMs} ms` });
      request.destroy();
    }, timeoutMs);
  });
}

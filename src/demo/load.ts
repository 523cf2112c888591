// The demo's request loop: while a deploy runs, each server gets a steady stream of requests for
// /version through its proxy, and every answer that isn't a 200 (or doesn't come) counts as failed.
// Bounded in count and time: it stops itself whatever happens to the deploy.
import { Agent, request } from "node:http";

export interface LoadOptions {
  /** Base URLs, one per server: "http://10.210.0.11". */
  readonly targets: readonly string[];
  readonly path: string;
  /** Pause between one client's requests. */
  readonly pauseMs: number;
  readonly maxRequests: number;
  readonly maxDurationMs: number;
  readonly requestTimeoutMs: number;
}

export interface LoadResult {
  readonly sent: number;
  readonly failed: number;
  /** What failed, first few: "http://10.210.0.11/version: 502". */
  readonly failures: readonly string[];
  /** Bodies of the 200 answers, in the order they were first seen. */
  readonly versionsSeen: readonly string[];
  readonly durationMs: number;
}

export interface RunningLoad {
  /** Stops sending, waits for the requests in flight, and returns the counts. */
  stop(): Promise<LoadResult>;
}

export const DEMO_LOAD: Omit<LoadOptions, "targets"> = {
  path: "/version",
  pauseMs: 10,
  maxRequests: 50_000,
  maxDurationMs: 10 * 60_000,
  requestTimeoutMs: 5_000,
};

export function startLoad(options: LoadOptions): RunningLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: options.targets.length });
  const startedAt = performance.now();
  const state = { sent: 0, failed: 0, failures: [] as string[], versions: [] as string[], stopped: false };
  const stopTimer = setTimeout(() => (state.stopped = true), options.maxDurationMs);
  stopTimer.unref();

  const client = async (target: string): Promise<void> => {
    const url = `${target}${options.path}`;
    while (!state.stopped && state.sent < options.maxRequests) {
      state.sent += 1;
      const outcome = await get(url, agent, options.requestTimeoutMs);
      if (outcome.status === 200) {
        const version = outcome.body.trim();
        if (!state.versions.includes(version)) state.versions.push(version);
      } else {
        state.failed += 1;
        if (state.failures.length < 5) state.failures.push(`${url}: ${outcome.error ?? outcome.status}`);
      }
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const clients = Promise.all(options.targets.map(client));

  return {
    async stop() {
      state.stopped = true;
      await clients;
      clearTimeout(stopTimer);
      agent.destroy();
      return {
        sent: state.sent,
        failed: state.failed,
        failures: state.failures,
        versionsSeen: state.versions,
        durationMs: performance.now() - startedAt,
      };
    },
  };
}

interface Outcome {
  readonly status: number;
  readonly body: string;
  readonly error?: string;
}

/** One GET; never throws: a network error or timeout is an outcome with status 0. */
export function get(url: string, agent: Agent | undefined, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (error) => resolve({ status: 0, body: "", error: error.message }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on("error", (error) => resolve({ status: 0, body: "", error: error.message }));
    req.end();
  });
}

// Main-thread side of the worker threads: starts them on the shared HTTP listener, sends
// routing snapshots after every change, forwards their log lines and runs drains in them.
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ConnectionTimeouts } from "../http/client-connection.js";
import type { MetricsData } from "../http/metrics.js";
import type { Snapshot } from "./replication.js";

/**
 * Young-generation cap for worker threads, and the semi-space cap the image gives the main thread
 * (`node --max-semi-space-size=2`): together they keep all threads under 100 MB RSS with 1,000
 * idle clients after load, where V8's defaults measured ~96 MB (see proxy/README.md).
 */
export const WORKER_YOUNG_GENERATION_MB = 4;

export interface WorkerData {
  fd: number;
  snapshot: Snapshot;
  httpsPort: number;
  timeouts: ConnectionTimeouts;
  debug: boolean;
  tls: boolean;
  forwardLogs: boolean;
  metrics: boolean;
}

export type ToWorker =
  | { type: "snapshot"; snapshot: Snapshot }
  | { type: "drain"; id: number; balancerId: number; timeoutMs: number; closeTunnelsNow: boolean }
  | { type: "challenge-answer"; id: number; answer: string | undefined }
  | { type: "close-idle" };

export type ToMain =
  | { type: "ready" }
  | { type: "log"; text: string }
  | { type: "drained"; id: number }
  | { type: "challenge"; id: number; host: string; token: string }
  | { type: "metrics"; data: MetricsData };

/** Extra threads for plain HTTP: one per core beyond the first, at most `max`. Override: KAMAL_PROXY_WORKERS. */
export function defaultWorkerCount(env: NodeJS.ProcessEnv = process.env, max = 1): number {
  const configured = env.KAMAL_PROXY_WORKERS;
  if (configured !== undefined && /^\d+$/.test(configured)) return Number(configured);
  return Math.max(0, Math.min(max, os.availableParallelism() - 1));
}

export interface WorkerPoolOptions {
  count: number;
  fd: number;
  httpsPort: number;
  timeouts: ConnectionTimeouts;
  debug: boolean;
  tls: boolean;
  metrics: boolean;
  snapshot: () => Snapshot;
  /** Where worker log lines go when forwarded; undefined = workers write to stdout themselves. */
  log?: (text: string) => void;
  httpChallenge: (host: string, token: string) => string | undefined;
  report: (event: Record<string, unknown>) => void;
  /** Young-generation cap per worker (MB): keeps the RSS of all threads together small. */
  youngGenerationMb?: number;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly drains = new Map<number, { worker: Worker; done: () => void }>();
  private stopping = false;
  /** Latest counters per worker (sent every second when metrics are on). */
  readonly metrics = new Map<Worker, MetricsData>();
  private nextDrain = 1;
  private pendingSnapshot = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.count }, () => this.spawn()));
  }

  private spawn(): Promise<void> {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "worker.js");
    const data: WorkerData = {
      fd: this.options.fd,
      snapshot: this.options.snapshot(),
      httpsPort: this.options.httpsPort,
      timeouts: this.options.timeouts,
      debug: this.options.debug,
      tls: this.options.tls,
      forwardLogs: this.options.log !== undefined,
      metrics: this.options.metrics,
    };
    const worker = new Worker(file, {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: this.options.youngGenerationMb ?? WORKER_YOUNG_GENERATION_MB },
      stdout: false,
      stderr: false,
    });
    this.workers.push(worker);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on("error", (error: Error) => {
        this.options.report({ msg: "Worker thread failed", level: "ERROR", error: error.stack ?? error.message });
        if (!ready) reject(error);
      });
      worker.on("exit", () => this.onExit(worker));
      worker.on("message", (message: ToMain) => {
        if (message.type === "ready") {
          ready = true;
          resolve();
        } else {
          this.onMessage(worker, message);
        }
      });
    });
  }

  /** A worker that dies must not stall drains; the main thread keeps serving, and a new worker starts. */
  private onExit(worker: Worker): void {
    this.workers.splice(this.workers.indexOf(worker), 1);
    this.metrics.delete(worker);
    for (const [id, drain] of this.drains) {
      if (drain.worker === worker) {
        this.drains.delete(id);
        drain.done();
      }
    }
    if (this.stopping) return;
    setTimeout(() => {
      if (!this.stopping) this.spawn().catch(() => undefined); // reported through "error"
    }, 1_000).unref();
  }

  private onMessage(worker: Worker, message: ToMain): void {
    switch (message.type) {
      case "log":
        this.options.log?.(message.text);
        break;
      case "drained": {
        const drain = this.drains.get(message.id);
        this.drains.delete(message.id);
        drain?.done();
        break;
      }
      case "metrics":
        this.metrics.set(worker, message.data);
        break;
      case "challenge":
        worker.postMessage({ type: "challenge-answer", id: message.id, answer: this.options.httpChallenge(message.host, message.token) } satisfies ToWorker);
        break;
    }
  }

  /** Coalesces bursts of changes into one snapshot per event-loop turn. */
  changed(): void {
    if (this.workers.length === 0 || this.pendingSnapshot) return;
    this.pendingSnapshot = true;
    queueMicrotask(() => {
      this.pendingSnapshot = false;
      const message: ToWorker = { type: "snapshot", snapshot: this.options.snapshot() };
      for (const worker of this.workers) worker.postMessage(message);
    });
  }

  /** Sends the latest snapshot now (before a drain, so workers have already switched). */
  flush(): void {
    if (this.workers.length === 0) return;
    const message: ToWorker = { type: "snapshot", snapshot: this.options.snapshot() };
    for (const worker of this.workers) worker.postMessage(message);
  }

  drain(balancerId: number, timeoutMs: number, closeTunnelsNow: boolean): Promise<void> {
    if (this.workers.length === 0) return Promise.resolve();
    this.flush();
    return Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const id = this.nextDrain++;
            this.drains.set(id, { worker, done: resolve });
            worker.postMessage({ type: "drain", id, balancerId, timeoutMs, closeTunnelsNow } satisfies ToWorker);
          }),
      ),
    ).then(() => undefined);
  }

  /** Shutdown has begun: workers that exit from now on are not replaced. */
  closeIdle(): void {
    this.stopping = true;
    for (const worker of this.workers) worker.postMessage({ type: "close-idle" } satisfies ToWorker);
  }

}

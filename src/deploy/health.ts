// Health of a new container: the barrier that holds other roles back until the first primary-role
// container is healthy (Kamal's Healthcheck::Barrier), and the status polling for roles without
// the proxy (which does its own health checks for proxied roles).
import { BerthError } from "../util/errors.js";

export class HealthcheckError extends BerthError {
  constructor(message: string) {
    super(message, "Kamal::Cli::Healthcheck::Error");
  }
}

/** Settles once: opened by the first healthy primary container, closed by the first failing one. */
export class Barrier {
  private settled: "open" | "closed" | undefined;
  private readonly waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  /** Returns true when this call opened it. */
  open(): boolean {
    return this.settle("open");
  }

  /** Returns true when this call closed it (so the caller reports why). */
  close(): boolean {
    return this.settle("closed");
  }

  get state(): "open" | "closed" | "waiting" {
    return this.settled ?? "waiting";
  }

  wait(): Promise<void> {
    if (this.settled === "open") return Promise.resolve();
    if (this.settled === "closed") return Promise.reject(new HealthcheckError("the first container of the primary role is unhealthy"));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private settle(state: "open" | "closed"): boolean {
    if (this.settled !== undefined) return false;
    this.settled = state;
    for (const waiter of this.waiters.splice(0)) {
      if (state === "open") waiter.resolve();
      else waiter.reject(new HealthcheckError("the first container of the primary role is unhealthy"));
    }
    return true;
  }
}

export interface PollSettings {
  /** Seconds until giving up (deploy_timeout). */
  readonly timeoutSeconds: number;
  /** Seconds to wait after "running" for a container without a health check (readiness_delay). */
  readonly readinessDelaySeconds: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Told before each retry. */
  readonly onRetry?: (status: string, delaySeconds: number, attempt: number) => void;
}

/**
 * Polls `status` (Docker's health status, or the state when the image has no health check) until
 * `healthy`, or `running` that is still running after the readiness delay. Backs off from half a
 * second up to 3 s between polls; fails after the timeout with the last status.
 */
export async function waitUntilHealthy(status: () => Promise<string>, settings: PollSettings): Promise<void> {
  const sleep = settings.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = settings.now ?? (() => performance.now());
  const deadline = now() + settings.timeoutSeconds * 1000;
  let last = "";
  for (let attempt = 1; ; attempt++) {
    last = (await status()).trim();
    if (last === "healthy") return;
    if (last === "running") {
      if (settings.readinessDelaySeconds <= 0) return;
      await sleep(settings.readinessDelaySeconds * 1000);
      last = (await status()).trim();
      if (last === "running" || last === "healthy") return;
    }
    // A container that stopped won't become healthy by waiting.
    if (last === "exited" || last === "dead") break;
    const delay = Math.min(0.5 * attempt, 3);
    if (now() + delay * 1000 > deadline) break;
    settings.onRetry?.(last || "no container", delay, attempt);
    await sleep(delay * 1000);
  }
  throw new HealthcheckError(`container not ready after ${settings.timeoutSeconds} seconds (${last || "no container"})`);
}

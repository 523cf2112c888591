// One upstream address: its connection pool, health state and the requests and tunnels in
// flight on it, so a deploy can drain exactly what the old target is still serving.
import { UpstreamPool } from "../http/upstream.js";
import { probe, type ProbeResult } from "./health-check.js";
import type { NameResolver } from "./name-resolver.js";
import { parseTargetAddress, type TargetOptions } from "./options.js";

export type TargetState = "adding" | "healthy" | "unhealthy" | "draining";

/**
 * A new target is probed again after 50 ms, then twice as late each time up to the configured
 * interval: an app that starts listening a moment after its container starts is switched to then,
 * not a whole interval (1 s by default) later. Once healthy, checks follow the interval.
 */
const FIRST_RETRY_MS = 50;

/** Something in flight on a target that a drain may have to cut short. */
export interface InFlight {
  /** Drain deadline reached: end it (504 if nothing was sent yet). */
  abortForDrain(): void;
}

export class Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly pool: UpstreamPool;
  state: TargetState = "adding";
  lastProbe: ProbeResult | null = null;
  readonly inflight = new Set<InFlight>();
  /** Upgraded connections (WebSockets); drained gracefully, not cut. */
  readonly tunnels = new Set<InFlight>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  /** Probes that found the new target not yet healthy (sets the next retry's delay). */
  private startupRetries = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  onHealthChange: ((target: Target) => void) | null = null;

  constructor(
    address: string,
    readonly options: TargetOptions,
    private readonly resolver: NameResolver,
  ) {
    const parsed = parseTargetAddress(address);
    this.name = parsed.name;
    this.host = parsed.host;
    this.port = parsed.port;
    this.pool = new UpstreamPool(this.host, this.port, resolver);
  }

  get healthy(): boolean {
    return this.state === "healthy";
  }

  /** Probes now and then every interval until stopped. */
  startHealthChecks(): void {
    this.stopped = false;
    if (this.timer !== null || this.checking) return;
    void this.check();
  }

  stopHealthChecks(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    this.timer = null;
    this.checking = true;
    const result = await probe(this.host, this.port, this.options.healthCheck, this.resolver);
    this.checking = false;
    if (this.stopped) return;
    this.lastProbe = result;
    const before = this.state;
    if (result.healthy) this.state = "healthy";
    else if (this.state === "healthy") this.state = "unhealthy";
    if (before !== this.state) this.onHealthChange?.(this);
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.check(), this.nextCheckDelay());
      this.timer.unref();
    }
  }

  private nextCheckDelay(): number {
    const interval = this.options.healthCheck.intervalMs;
    if (this.state !== "adding") return interval;
    return Math.min(interval, FIRST_RETRY_MS * 2 ** this.startupRetries++);
  }

  /** Mirrors a health state decided elsewhere (worker threads run no checks of their own). */
  setHealthy(healthy: boolean): void {
    const next: TargetState = healthy ? "healthy" : this.state === "adding" ? "adding" : "unhealthy";
    if (this.state === "draining" || next === this.state) return;
    this.state = next;
    this.onHealthChange?.(this);
  }

  begin(item: InFlight): void {
    this.inflight.add(item);
  }

  end(item: InFlight): void {
    this.inflight.delete(item);
    this.notifyIfIdle();
  }

  beginTunnel(item: InFlight): void {
    this.tunnels.add(item);
  }

  endTunnel(item: InFlight): void {
    this.tunnels.delete(item);
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length > 0 && this.inflight.size === 0 && this.tunnels.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  /**
   * Waits for in-flight requests and upgraded connections to finish, up to `timeoutMs`;
   * whatever is left then is ended (requests with 504, tunnels with a WebSocket close).
   */
  async drain(timeoutMs: number, closeTunnelsNow = false): Promise<void> {
    const previous = this.state;
    this.state = "draining";
    if (closeTunnelsNow) for (const tunnel of [...this.tunnels]) tunnel.abortForDrain();
    if (this.inflight.size > 0 || this.tunnels.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== done);
          for (const item of [...this.inflight, ...this.tunnels]) item.abortForDrain();
          resolve();
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        this.idleWaiters.push(done);
      });
    }
    this.pool.dispose();
    this.state = previous;
  }

  dispose(): void {
    this.stopHealthChecks();
  }
}

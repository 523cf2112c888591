// A set of writer (and optional reader) targets: round-robin over the healthy ones, the
// writer-affinity cookie for read/write splitting, and the health gate a deploy waits on.
import type { Target } from "./target.js";

export const WRITER_COOKIE = "kamal-writer";

export interface PickRequest {
  method: string;
  isUpgrade: boolean;
  /** Expiry (ms since epoch) from the kamal-writer cookie, or 0. */
  writerAffinityUntil: number;
}

let nextId = 1;

export class LoadBalancer {
  /** Identifies this balancer to worker threads that mirror it. */
  readonly id: number;
  /** Called when a target's health changes (replication to workers). */
  onChange: (() => void) | null = null;
  private writerIndex = 0;
  private readerIndex = 0;
  private healthyWriters: Target[] = [];
  private healthyReaders: Target[] = [];
  private healthWaiters: Array<(healthy: boolean) => void> = [];
  /**
   * Until when (ms since epoch) a request that finds no healthy target waits for one instead of
   * getting 503: set for targets restored at start, whose first health checks are still running.
   */
  warmUntil = 0;
  private targetWaiters: Array<() => void> = [];

  constructor(
    readonly writers: Target[],
    readonly readers: Target[],
    readonly writerAffinityTimeoutMs: number,
    readonly readTargetsAcceptWebsockets: boolean,
    id?: number,
  ) {
    this.id = id ?? nextId++;
    for (const target of this.all) {
      target.onHealthChange = () => {
        this.refresh();
        this.onChange?.();
      };
    }
    this.refresh();
  }

  get all(): Target[] {
    return [...this.writers, ...this.readers];
  }

  get hasReaders(): boolean {
    return this.readers.length > 0;
  }

  /** Starts health checks on every target (the first probe runs at once). */
  start(): void {
    for (const target of this.all) target.startHealthChecks();
  }

  private refresh(): void {
    this.healthyWriters = this.writers.filter((target) => target.healthy);
    this.healthyReaders = this.readers.filter((target) => target.healthy);
    // One target: once healthy, checks stop (kamal-proxy: removing the only target cannot help).
    if (this.all.length === 1 && this.all[0]!.healthy) this.all[0]!.stopHealthChecks();
    if (this.targetWaiters.length > 0 && (this.healthyWriters.length > 0 || this.healthyReaders.length > 0)) this.releaseTargetWaiters();
    if (this.allHealthy && this.healthWaiters.length > 0) {
      const waiters = this.healthWaiters;
      this.healthWaiters = [];
      for (const waiter of waiters) waiter(true);
    }
  }

  get allHealthy(): boolean {
    return this.all.every((target) => target.healthy);
  }

  /** True once every target is healthy; false at the timeout. */
  waitUntilHealthy(timeoutMs: number): Promise<boolean> {
    if (this.allHealthy) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.healthWaiters = this.healthWaiters.filter((waiter) => waiter !== done);
        resolve(false);
      }, timeoutMs);
      const done = (healthy: boolean): void => {
        clearTimeout(timer);
        resolve(healthy);
      };
      this.healthWaiters.push(done);
    });
  }

  /** A target for this request, or null when none is healthy. */
  pick(request: PickRequest): Target | null {
    if (this.healthyReaders.length > 0 && this.isRead(request) && request.writerAffinityUntil <= Date.now()) {
      const readers = this.healthyReaders;
      return readers[this.readerIndex++ % readers.length]!;
    }
    const writers = this.healthyWriters;
    if (writers.length === 0) return null;
    if (writers.length === 1) return writers[0]!;
    return writers[this.writerIndex++ % writers.length]!;
  }

  /**
   * While warming up, calls `retry` once a target turns healthy (or the warm-up ends) and returns
   * a cancel function; null when there is nothing to wait for (the caller answers 503).
   */
  waitForTarget(retry: () => void): (() => void) | null {
    const left = this.warmUntil - Date.now();
    if (left <= 0) return null;
    const timer = setTimeout(() => {
      this.targetWaiters = this.targetWaiters.filter((waiter) => waiter !== done);
      retry();
    }, left);
    const done = (): void => {
      clearTimeout(timer);
      retry();
    };
    this.targetWaiters.push(done);
    return () => {
      clearTimeout(timer);
      this.targetWaiters = this.targetWaiters.filter((waiter) => waiter !== done);
    };
  }

  private releaseTargetWaiters(): void {
    const waiters = this.targetWaiters;
    this.targetWaiters = [];
    for (const waiter of waiters) waiter();
  }

  isRead(request: PickRequest): boolean {
    if (request.isUpgrade) return this.readTargetsAcceptWebsockets;
    return request.method === "GET" || request.method === "HEAD";
  }

  /** Describes failing targets for a deploy error: "app:3000 (GET /up returned 500)". */
  unhealthySummary(): string {
    return this.all
      .filter((target) => !target.healthy)
      .map((target) => `${target.name} (${target.lastProbe?.detail ?? "no health check completed"})`)
      .join(", ");
  }

  targetNames(): string[] {
    return this.writers.map((target) => target.name);
  }

  readerNames(): string[] {
    return this.readers.map((target) => target.name);
  }

  dispose(): void {
    for (const target of this.all) target.dispose();
    for (const waiter of this.healthWaiters) waiter(false);
    this.healthWaiters = [];
    this.warmUntil = 0;
    this.releaseTargetWaiters();
  }

  async drainAll(timeoutMs: number, closeTunnelsNow = false): Promise<void> {
    await Promise.all(this.all.map((target) => target.drain(timeoutMs, closeTunnelsNow)));
  }
}

// Routing state copied to worker threads. The main thread owns the router (deploys, health
// checks, state file); each worker keeps a mirror built from snapshots and serves requests
// from it. Balancers keep their id across snapshots so a worker's in-flight requests and
// connection pools stay attached to the same targets, and drains can be addressed by id.
import type { ErrorPages } from "./error-pages.js";
import { LoadBalancer } from "./load-balancer.js";
import type { NameResolver } from "./name-resolver.js";
import type { ServiceOptions, TargetOptions } from "./options.js";
import type { PauseState } from "./pause.js";
import { RolloutController } from "./rollout.js";
import type { Router } from "./router.js";
import { Service } from "./service.js";
import { ServiceMap } from "./service-map.js";
import { Target } from "./target.js";

export interface BalancerSnapshot {
  id: number;
  writers: Array<{ name: string; healthy: boolean }>;
  readers: Array<{ name: string; healthy: boolean }>;
  writerAffinityTimeoutMs: number;
  readTargetsAcceptWebsockets: boolean;
  warmUntil: number;
}

export interface ServiceSnapshot {
  name: string;
  options: ServiceOptions;
  targetOptions: TargetOptions;
  active: BalancerSnapshot | null;
  rollout: BalancerSnapshot | null;
  pause: { state: PauseState; stopMessage: string; failAfterMs: number };
  split: { percentage: number; allowlist: string[] } | null;
  errorPages: Array<[number, string]> | null;
}

export interface Snapshot {
  services: ServiceSnapshot[];
}

function balancerSnapshot(balancer: LoadBalancer | null): BalancerSnapshot | null {
  if (balancer === null) return null;
  const describe = (target: Target): { name: string; healthy: boolean } => ({ name: target.name, healthy: target.healthy });
  return {
    id: balancer.id,
    writers: balancer.writers.map(describe),
    readers: balancer.readers.map(describe),
    writerAffinityTimeoutMs: balancer.writerAffinityTimeoutMs,
    readTargetsAcceptWebsockets: balancer.readTargetsAcceptWebsockets,
    warmUntil: balancer.warmUntil,
  };
}

export function takeSnapshot(router: Router): Snapshot {
  return {
    services: router.allServices().map((service) => ({
      name: service.name,
      options: service.options,
      targetOptions: service.targetOptions,
      active: balancerSnapshot(service.active),
      rollout: balancerSnapshot(service.rollout),
      pause: { state: service.pause.state, stopMessage: service.pause.stopMessage, failAfterMs: service.pause.failAfterMs },
      split:
        service.rolloutController === null
          ? null
          : { percentage: service.rolloutController.percentage, allowlist: [...service.rolloutController.allowlist] },
      errorPages: service.errorPages === null ? null : [...service.errorPages],
    })),
  };
}

/** A worker thread's read-only copy of the router. */
export class MirrorRouter {
  map = new ServiceMap([]);

  constructor(private readonly resolver: NameResolver) {}

  private services = new Map<string, Service>();
  private balancers = new Map<number, LoadBalancer>();

  apply(snapshot: Snapshot): void {
    const services = new Map<string, Service>();
    const balancers = new Map<number, LoadBalancer>();
    for (const record of snapshot.services) {
      let service = this.services.get(record.name);
      const pages: ErrorPages | null = record.errorPages === null ? null : new Map(record.errorPages);
      if (service === undefined) service = new Service(record.name, record.options, record.targetOptions);
      service.applyOptions(record.options, record.targetOptions, pages);
      service.active = this.balancer(record.active, record.targetOptions, balancers);
      service.rollout = this.balancer(record.rollout, record.targetOptions, balancers);
      service.rolloutController = record.split === null ? null : new RolloutController(record.split.percentage, record.split.allowlist);
      applyPause(service, record.pause);
      services.set(record.name, service);
    }
    this.services = services;
    // Balancers no longer referenced keep serving their in-flight requests; main drains them by id.
    for (const [id, balancer] of this.balancers) if (!balancers.has(id)) balancers.set(id, balancer);
    this.balancers = balancers;
    this.map = new ServiceMap(services.values());
  }

  async drain(balancerId: number, timeoutMs: number, closeTunnelsNow: boolean): Promise<void> {
    const balancer = this.balancers.get(balancerId);
    if (balancer === undefined) return;
    await balancer.drainAll(timeoutMs, closeTunnelsNow);
    if (![...this.services.values()].some((service) => service.active === balancer || service.rollout === balancer)) {
      this.balancers.delete(balancerId);
    }
  }

  private balancer(snapshot: BalancerSnapshot | null, targetOptions: TargetOptions, out: Map<number, LoadBalancer>): LoadBalancer | null {
    if (snapshot === null) return null;
    let balancer = this.balancers.get(snapshot.id);
    if (balancer === undefined) {
      balancer = new LoadBalancer(
        snapshot.writers.map((target) => new Target(target.name, targetOptions, this.resolver)),
        snapshot.readers.map((target) => new Target(target.name, targetOptions, this.resolver)),
        snapshot.writerAffinityTimeoutMs,
        snapshot.readTargetsAcceptWebsockets,
        snapshot.id,
      );
    }
    balancer.warmUntil = snapshot.warmUntil;
    const health = [...snapshot.writers, ...snapshot.readers];
    balancer.all.forEach((target, index) => target.setHealthy(health[index]?.healthy ?? false));
    out.set(snapshot.id, balancer);
    return balancer;
  }
}

function applyPause(service: Service, pause: ServiceSnapshot["pause"]): void {
  const controller = service.pause;
  if (pause.state === controller.state && pause.stopMessage === controller.stopMessage) return;
  if (pause.state === "running") controller.resume();
  else if (pause.state === "paused") controller.pause(pause.failAfterMs);
  else controller.stop(pause.stopMessage);
}

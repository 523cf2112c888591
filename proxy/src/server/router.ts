// The control plane: deploy (health gate → atomic swap → drain), remove, pause/stop/resume,
// rollout and list, with state saved after every change. The request path reads `map`.
import type { LoadBalancer } from "./load-balancer.js";
import { normalizeServiceOptions, validateDeploy, type DeployArgs } from "./options.js";
import { RolloutController } from "./rollout.js";
import { buildLoadBalancer, Service } from "./service.js";
import { ServiceMap } from "./service-map.js";
import { ProxyError, unhealthyTargetsError, type RolloutDeployArgs, type RouterOptions, type ServiceDescription } from "./router-contract.js";
import { describeService, serviceFromRecord, serviceRecord } from "./service-records.js";
import { loadState, saveState, type ServiceRecord } from "./state.js";
import { tlsServiceSettings } from "./tls-settings.js";

export { ProxyError, type RolloutDeployArgs, type RouterOptions, type ServiceDescription } from "./router-contract.js";

export class Router {
  private readonly services = new Map<string, Service>();
  map = new ServiceMap([]);
  private installing: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RouterOptions) {}

  get serviceCount(): number {
    return this.services.size;
  }

  service(name: string): Service | undefined {
    return this.services.get(name);
  }

  allServices(): Service[] {
    return [...this.services.values()];
  }

  async deploy(input: DeployArgs): Promise<void> {
    const args: DeployArgs = { ...input, serviceOptions: normalizeServiceOptions(input.serviceOptions) };
    const invalid = validateDeploy(args);
    if (invalid !== null) throw new ProxyError(invalid);
    this.checkConflicts(args.service, args.serviceOptions.hosts, args.serviceOptions.pathPrefixes);
    const errorPages = this.prepareErrorPages(args);
    this.options.log({ msg: "Deploying", service: args.service, hosts: args.serviceOptions.hosts, target: args.targets, tls: args.serviceOptions.tlsEnabled });

    const balancer = buildLoadBalancer(args.targets, args.readers, args.serviceOptions, args.targetOptions, this.options.resolver);
    balancer.start();
    if (!args.force && !(await balancer.waitUntilHealthy(args.deployTimeoutMs))) {
      const summary = balancer.unhealthySummary();
      balancer.dispose();
      this.options.log({ msg: "Target failed to become healthy", service: args.service, targets: summary });
      throw unhealthyTargetsError(args.deployTimeoutMs, summary);
    }

    const replaced = await this.serialized(async () => {
      this.checkConflicts(args.service, args.serviceOptions.hosts, args.serviceOptions.pathPrefixes);
      try {
        await this.configureTls(args);
      } catch (error) {
        balancer.dispose();
        throw new ProxyError(`unable to configure TLS: ${(error as Error).message}`);
      }
      let service = this.services.get(args.service);
      if (service === undefined) {
        service = new Service(args.service, args.serviceOptions, args.targetOptions);
        this.services.set(args.service, service);
      } else {
        service.applyOptions(args.serviceOptions, args.targetOptions, errorPages);
      }
      service.errorPages = errorPages;
      const old = service.active;
      service.active = balancer;
      this.watch(balancer);
      this.rebuildMap();
      this.save();
      return old;
    });
    this.options.log({ msg: "Deployed", service: args.service, target: args.targets });
    await this.retire(replaced, args.drainTimeoutMs);
  }

  async rolloutDeploy(args: RolloutDeployArgs): Promise<void> {
    const service = this.requireService(args.service);
    if (args.targets.length === 0) throw new ProxyError("at least one target is required");
    const balancer = (() => {
      try {
        return buildLoadBalancer(args.targets, args.readers, service.options, service.targetOptions, this.options.resolver);
      } catch (error) {
        throw new ProxyError((error as Error).message);
      }
    })();
    balancer.start();
    if (!(await balancer.waitUntilHealthy(args.deployTimeoutMs))) {
      const summary = balancer.unhealthySummary();
      balancer.dispose();
      throw unhealthyTargetsError(args.deployTimeoutMs, summary);
    }
    const old = service.rollout;
    service.rollout = balancer;
    this.watch(balancer);
    this.save();
    await this.retire(old, args.drainTimeoutMs);
  }

  rolloutSet(name: string, percentage: number, allowlist: string[]): void {
    const service = this.requireService(name);
    if (service.rollout === null) throw new ProxyError("rollout target not set");
    if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) throw new ProxyError("percent must be between 0 and 100");
    service.rolloutController = new RolloutController(percentage, allowlist);
    this.save();
  }

  rolloutStop(name: string): void {
    const service = this.requireService(name);
    service.rolloutController = null;
    this.save();
  }

  remove(name: string): void {
    const service = this.requireService(name);
    service.dispose();
    for (const balancer of [service.active, service.rollout]) {
      for (const target of balancer?.all ?? []) target.pool.dispose();
    }
    this.services.delete(name);
    if (service.options.tlsEnabled) this.options.certificates?.removeService(name);
    this.rebuildMap();
    this.save();
  }

  async pause(name: string, drainTimeoutMs: number, pauseTimeoutMs: number): Promise<void> {
    const service = this.requireService(name);
    service.pause.pause(pauseTimeoutMs);
    this.save();
    await this.drainService(service, drainTimeoutMs, false);
  }

  async stop(name: string, drainTimeoutMs: number, message: string): Promise<void> {
    const service = this.requireService(name);
    service.pause.stop(message);
    this.save();
    await this.drainService(service, drainTimeoutMs, false);
  }

  resume(name: string): void {
    const service = this.requireService(name);
    service.pause.resume();
    this.save();
  }

  list(): ServiceDescription[] {
    return [...this.services.values()].map(describeService);
  }

  /**
   * Restores saved services without waiting for their targets: health checks start now, and
   * until a target passes its first check (up to 5 s) requests to it wait instead of getting 503,
   * so the control socket and the listeners can open at once. Resolves when all are restored.
   */
  async restore(): Promise<void> {
    if (this.options.statePath === null) return;
    let records: ServiceRecord[];
    try {
      records = loadState(this.options.statePath);
    } catch (error) {
      this.options.log({ msg: "Failed to restore saved state", level: "ERROR", path: this.options.statePath, error: (error as Error).message });
      return;
    }
    const restored: Array<{ service: Service; balancer: LoadBalancer }> = [];
    const warmUntil = Date.now() + RESTORE_HEALTH_WAIT_MS;
    for (const record of records) {
      try {
        const service = serviceFromRecord(record, this.options.resolver);
        this.services.set(record.name, service);
        if (record.options.tlsEnabled) {
          await this.configureTls({ service: record.name, serviceOptions: record.options } as DeployArgs).catch((error: Error) =>
            this.options.log({ msg: "Failed to restore TLS", level: "ERROR", service: record.name, error: error.message }),
          );
        }
        for (const balancer of [service.active, service.rollout]) {
          if (balancer === null) continue;
          this.watch(balancer);
          balancer.warmUntil = warmUntil;
          balancer.start();
          restored.push({ service, balancer });
        }
      } catch (error) {
        this.options.log({ msg: "Failed to restore service", level: "ERROR", service: record.name, error: (error as Error).message });
      }
    }
    this.rebuildMap();
    this.changed();
    this.options.log({ msg: "Restored saved state", path: this.options.statePath, services: records.length });
    void this.reportRestoredHealth(restored);
  }

  /** Unlike kamal-proxy (which marks restored targets healthy unchecked), failing targets are not served: say which. */
  private async reportRestoredHealth(restored: ReadonlyArray<{ service: Service; balancer: LoadBalancer }>): Promise<void> {
    const results = await Promise.all(restored.map(({ balancer }) => balancer.waitUntilHealthy(RESTORE_HEALTH_WAIT_MS)));
    restored.forEach(({ service, balancer }, index) => {
      const current = service.active === balancer || service.rollout === balancer;
      if (!results[index] && current && !balancer.allHealthy) {
        this.options.log({ msg: "Restored targets not healthy yet", level: "WARN", service: service.name, targets: balancer.unhealthySummary() });
      }
    });
  }

  dispose(): void {
    for (const service of this.services.values()) service.dispose();
  }

  /** Shutdown: in-flight requests finish (up to the timeout); WebSockets are told to go away now. */
  async drainAll(timeoutMs: number): Promise<void> {
    await Promise.all([...this.services.values()].map((service) => this.drainService(service, timeoutMs, true)));
  }

  private requireService(name: string): Service {
    const service = this.services.get(name);
    if (service === undefined) throw new ProxyError("service not found");
    return service;
  }

  private checkConflicts(name: string, hosts: readonly string[], prefixes: readonly string[]): void {
    for (const host of hosts.length === 0 ? [""] : hosts) {
      for (const prefix of prefixes) {
        const owner = this.map.owner(host, prefix);
        if (owner !== undefined && owner.name !== name) throw new ProxyError("host settings conflict with another service");
      }
    }
  }

  private prepareErrorPages(args: DeployArgs): ReturnType<typeof Service.prepareErrorPages> {
    try {
      return Service.prepareErrorPages(args.serviceOptions);
    } catch (error) {
      throw new ProxyError((error as Error).message);
    }
  }

  private async configureTls(args: DeployArgs): Promise<void> {
    const options = args.serviceOptions;
    const store = this.options.certificates;
    if (!options.tlsEnabled) {
      if (this.services.get(args.service)?.options.tlsEnabled) store?.removeService(args.service);
      return;
    }
    if (store === null) throw new Error("TLS support is not available in this proxy build");
    const settings = tlsServiceSettings(options, { directoryOverride: this.options.acmeDirectoryOverride, caBundlePath: this.options.acmeCaBundlePath });
    await store.setService(args.service, settings);
  }

  private async retire(balancer: LoadBalancer | null, drainTimeoutMs: number): Promise<void> {
    if (balancer === null) return;
    balancer.onChange = null;
    balancer.dispose();
    await this.drainBalancer(balancer, drainTimeoutMs, false);
  }

  private async drainService(service: Service, timeoutMs: number, closeTunnelsNow: boolean): Promise<void> {
    await Promise.all(
      [service.active, service.rollout].map((balancer) => (balancer === null ? undefined : this.drainBalancer(balancer, timeoutMs, closeTunnelsNow))),
    );
  }

  /** Drains here and in every worker thread, in parallel, with the same deadline. */
  private async drainBalancer(balancer: LoadBalancer, timeoutMs: number, closeTunnelsNow: boolean): Promise<void> {
    await Promise.all([
      balancer.drainAll(timeoutMs, closeTunnelsNow),
      this.options.remoteDrain?.(balancer.id, timeoutMs, closeTunnelsNow),
    ]);
  }

  private watch(balancer: LoadBalancer): void {
    balancer.onChange = () => this.options.onChange?.();
  }

  private rebuildMap(): void {
    this.map = new ServiceMap(this.services.values());
  }

  private changed(): void {
    this.options.onChange?.();
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.installing.then(task, task);
    this.installing = run.catch(() => undefined);
    return run;
  }

  private save(): void {
    this.changed();
    if (this.options.statePath === null) return;
    const records: ServiceRecord[] = [...this.services.values()].map(serviceRecord);
    try {
      saveState(this.options.statePath, records);
    } catch (error) {
      this.options.log({ msg: "Unable to save state", level: "ERROR", path: this.options.statePath, error: (error as Error).message });
    }
  }
}

const RESTORE_HEALTH_WAIT_MS = 5_000;

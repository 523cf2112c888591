// One deployed service: its options, the active (and optional rollout) load balancer, the
// pause and rollout controllers, and per-service data the request path reads.
import { loadErrorPages, type ErrorPages } from "./error-pages.js";
import { LoadBalancer } from "./load-balancer.js";
import type { NameResolver } from "./name-resolver.js";
import type { ServiceOptions, TargetOptions } from "./options.js";
import { PauseController } from "./pause.js";
import type { RolloutController } from "./rollout.js";
import { Target } from "./target.js";

export class Service {
  active: LoadBalancer | null = null;
  rollout: LoadBalancer | null = null;
  readonly pause = new PauseController();
  rolloutController: RolloutController | null = null;
  errorPages: ErrorPages | null = null;
  /** Lower-cased header names to log as req_* / resp_*. */
  logRequestHeaders: string[] = [];
  logResponseHeaders: string[] = [];

  constructor(
    readonly name: string,
    public options: ServiceOptions,
    public targetOptions: TargetOptions,
  ) {
    this.applyOptions(options, targetOptions);
  }

  /** Loads error pages first so a bad directory fails before anything changes. */
  static prepareErrorPages(options: ServiceOptions): ErrorPages | null {
    return options.errorPagePath === "" ? null : loadErrorPages(options.errorPagePath);
  }

  applyOptions(options: ServiceOptions, targetOptions: TargetOptions, errorPages?: ErrorPages | null): void {
    this.options = options;
    this.targetOptions = targetOptions;
    this.errorPages = errorPages !== undefined ? errorPages : Service.prepareErrorPages(options);
    this.logRequestHeaders = targetOptions.logRequestHeaders.map((name) => name.toLowerCase());
    this.logResponseHeaders = targetOptions.logResponseHeaders.map((name) => name.toLowerCase());
  }

  /** The load balancer for a request with this `kamal-rollout` cookie value. */
  loadBalancerFor(rolloutCookie: string | undefined): LoadBalancer | null {
    if (this.rollout !== null && this.rolloutController !== null && this.rolloutController.usesRollout(rolloutCookie)) {
      return this.rollout;
    }
    return this.active;
  }

  isHealthCheckPath(method: string, path: string): boolean {
    return (method === "GET" || method === "HEAD") && path === this.targetOptions.healthCheck.path;
  }

  dispose(): void {
    this.active?.dispose();
    this.rollout?.dispose();
  }
}

export function buildLoadBalancer(
  targets: readonly string[],
  readers: readonly string[],
  options: ServiceOptions,
  targetOptions: TargetOptions,
  resolver: NameResolver,
): LoadBalancer {
  return new LoadBalancer(
    targets.map((address) => new Target(address, targetOptions, resolver)),
    readers.map((address) => new Target(address, targetOptions, resolver)),
    options.writerAffinityTimeoutMs,
    options.readTargetsAcceptWebsockets,
  );
}

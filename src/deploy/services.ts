// Per-run state, owned by the run (run.services) instead of tables keyed by it: the carriers
// beside the shell, and work done once per run whose callers share the answer.
import type { RunAccess } from "./carrier.js";
import { DockerApis } from "./docker-api.js";
import { ProxyControl } from "./proxy-control.js";

/** Work done at most once per run; concurrent callers share the promise. */
export interface RunOnce {
  /** Whether `docker buildx` works here (build.ts). */
  localBuildx?: Promise<boolean>;
  /** This machine's Docker architecture (build.ts). */
  localArch?: Promise<string>;
  /** `docker login` here (login.ts). */
  localLogin?: Promise<void>;
  /** Berth's proxy image built and pushed (proxy-image.ts), its reference. */
  proxyImage?: Promise<string>;
}

export class RunServices {
  /** The hosts' Docker Engine APIs (opened by the deploys). */
  readonly dockerApi: DockerApis;
  /** The proxies' control sockets (opened by the deploys). */
  readonly proxyControl: ProxyControl;
  readonly once: RunOnce = {};

  constructor(run: RunAccess) {
    this.dockerApi = new DockerApis(run);
    this.proxyControl = new ProxyControl(run);
  }
}

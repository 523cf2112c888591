// Per-run state, owned by the run (run.services) instead of tables keyed by it: the carriers
// beside the shell (and which operation each takes), the images served to the hosts from here,
// and work done once per run whose callers share the answer.
import type { Operation } from "../commands/operation.js";
import type { Level } from "../output/index.js";
import type { DockerApiClient } from "../transport/docker-api.js";
import type { RunAccess, StepOutcome } from "./carrier.js";
import { DockerApis } from "./docker-api.js";
import { ImageDelivery, type DeliveryAccess } from "./image-delivery.js";
import { ProxyControl } from "./proxy-control.js";

/** Work done at most once per run; concurrent callers share the promise. */
export interface RunOnce {
  /** Whether `docker buildx` works here (build.ts). */
  localBuildx?: Promise<boolean>;
  /** This machine's Docker architecture (build.ts). */
  localArch?: Promise<string>;
  /** `docker login` here (login.ts). */
  localLogin?: Promise<void>;
  /** This machine's Docker API for the pushes, where the CLI here uses a unix socket (local-push.ts). */
  localDockerApi?: Promise<DockerApiClient | undefined>;
  /** Berth's proxy image built and pushed (proxy-image.ts), its reference. */
  proxyImage?: Promise<string>;
}

/** Runs one operation on a carrier, shown at this level. */
export type Carrier = (level: Level) => Promise<StepOutcome>;

export class RunServices {
  /** The hosts' Docker Engine APIs (opened by the deploys). */
  readonly dockerApi: DockerApis;
  /** The proxies' control sockets (opened by the deploys). */
  readonly proxyControl: ProxyControl;
  readonly once: RunOnce = {};
  private delivery: ImageDelivery | undefined;

  constructor(private readonly run: RunAccess & DeliveryAccess) {
    this.dockerApi = new DockerApis(run);
    this.proxyControl = new ProxyControl(run);
  }

  /** The images served to the hosts from this machine's Docker (`localhost:PORT` registries), made when first asked for. */
  get imageDelivery(): ImageDelivery {
    this.delivery ??= new ImageDelivery(this.run);
    return this.delivery;
  }

  /** At the run's end, after its connections: says what the hosts were sent, stops serving. */
  async close(): Promise<void> {
    const delivery = this.delivery;
    this.delivery = undefined;
    await delivery?.close();
  }

  /** The carrier other than the shell that takes this operation on the host, if one is open (waiting for its opening). */
  async carrierFor(host: string, operation: Operation): Promise<Carrier | undefined> {
    const { dockerApi, proxyControl } = this;
    switch (operation.kind) {
      case "proxy-call":
        return (await proxyControl.carries(host)) ? (level) => proxyControl.carry(host, operation, level) : undefined;
      case "container-run":
      case "container-stop":
      case "container-rename":
      case "container-remove":
      case "image-tag":
      case "image-remove":
      case "container-status":
      case "image-pull":
      case "image-label-check":
      case "host-state":
        return (await dockerApi.carries(host, operation)) ? (level) => dockerApi.carry(host, operation, level) : undefined;
      default:
        return undefined;
    }
  }
}

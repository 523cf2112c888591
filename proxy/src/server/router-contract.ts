// What the router's callers hand it and get back: its options, the control plane's errors and the
// shapes of `list` and `rolloutDeploy`.
import { formatDuration } from "../util/duration.js";
import type { NameResolver } from "./name-resolver.js";
import type { CertificateStoreLike } from "./tls-contract.js";

/** A control-plane failure whose message goes back to the CLI as is. */
export class ProxyError extends Error {}

/** The health gate's refusal (deploy and rollout deploy). */
export function unhealthyTargetsError(timeoutMs: number, summary: string): ProxyError {
  return new ProxyError(`target failed to become healthy within configured timeout (${formatDuration(timeoutMs)}): ${summary}`);
}

export interface RouterOptions {
  statePath: string | null;
  certificates: CertificateStoreLike | null;
  /** Resolves target names (health checks and upstream connections). */
  resolver: NameResolver;
  /** ACME directory override (tests with pebble), replacing Let's Encrypt's. */
  acmeDirectoryOverride?: string;
  acmeCaBundlePath?: string;
  log: (event: Record<string, unknown>) => void;
  /** Told after every change the request path must see (replication to worker threads). */
  onChange?: () => void;
  /** Drains the same balancer in worker threads; resolves when they are done. */
  remoteDrain?: (balancerId: number, timeoutMs: number, closeTunnelsNow: boolean) => Promise<void>;
}

export interface ServiceDescription {
  service: string;
  host: string;
  path: string;
  target: string;
  state: string;
  tls: boolean;
}

export interface RolloutDeployArgs {
  service: string;
  targets: string[];
  readers: string[];
  deployTimeoutMs: number;
  drainTimeoutMs: number;
}

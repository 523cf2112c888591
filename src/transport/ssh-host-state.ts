// What the SSH transport keeps of one host for the run: its shared connection (opening, open or
// failed), the commands in flight on it, its remote shells and its socket forwards.
import pLimit, { type LimitFunction } from "p-limit";
import { parseHost, type ParsedHost } from "./host.js";
import type { RemoteShell } from "./remote-shell.js";
import type { SshInvocation } from "./ssh-args.js";
import type { FailureContext } from "./ssh-failure.js";

export interface SshHostState {
  parsed: ParsedHost;
  index: number;
  /** Resolves once the shared connection is open; cleared after a failure so the next use retries. */
  ready?: Promise<SshInvocation>;
  invocation?: SshInvocation;
  /** Read on the first failure (failureContext). */
  context?: Promise<FailureContext>;
  sessions: LimitFunction;
  /** Commands in flight and when the last one ended: an idle master exits after ControlPersist. */
  running: number;
  idleSince: number;
  rechecking?: Promise<void>;
  /** A failure of `connect`, kept for the host's next use to report (instead of connecting again). */
  connectFailure?: unknown;
  /** Remote shells open on the shared connection, at most one per session in flight. */
  shells: RemoteShell[];
  /** Remote unix socket → the local socket forwarded to it over the shared connection. */
  forwards: Map<string, Promise<string>>;
  /** Loopback ports on the host forwarded to local unix sockets: set up again on a new connection. */
  remoteForwards: Map<number, string>;
}

/** A host not yet connected; `index` names its control socket in the run's private directory. */
export function newSshHostState(host: string, index: number, sessionsPerHost: number): SshHostState {
  return { parsed: parseHost(host), index, sessions: pLimit(sessionsPerHost), running: 0, idleSince: 0, shells: [], forwards: new Map(), remoteForwards: new Map() };
}

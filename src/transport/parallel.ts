// Runs work on many hosts at once, waits for every host (unlike SSHKit's runner, which stops
// waiting at the first failure; Kamal patches it the same way) and reports every failing host.
import pLimit from "p-limit";
import { HostExecutionError, MultipleHostsError } from "./errors.js";

export interface OnHostsOptions {
  /** Hosts worked on at once (default: all). */
  concurrency?: number;
}

/**
 * Calls `work` for each host and returns the results in host order. If some fail, throws that
 * host's `HostExecutionError` ("Exception while executing on host H: …"), or for several hosts a
 * `MultipleHostsError` ("Exceptions on N hosts:" and one entry per host).
 */
export async function onHosts<T>(
  hosts: readonly string[],
  work: (host: string) => Promise<T>,
  options: OnHostsOptions = {},
): Promise<T[]> {
  const limit = pLimit(Math.max(1, options.concurrency ?? hosts.length));
  const settled = await Promise.allSettled(hosts.map((host) => limit(() => work(host))));
  const failures = settled.flatMap((outcome, index) =>
    outcome.status === "rejected" ? [new HostExecutionError(hosts[index]!, outcome.reason)] : [],
  );
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new MultipleHostsError(failures);
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

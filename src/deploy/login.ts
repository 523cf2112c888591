// Registry login: here (for pushing) and on the hosts (for pulling). The password travels on
// standard input (`docker login --password-stdin`), never in arguments. A registry at
// `localhost:PORT` is Kamal's local registry, which needs no login.
import { registry as registryCommands, type Cmd } from "../commands/index.js";
import { BerthError } from "../util/errors.js";
import type { Run } from "./run.js";

const localLogins = new WeakMap<Run, Promise<void>>();

/** `docker login` on this machine, once per run (callers at the same time share it). */
export function loginLocally(run: Run): Promise<void> {
  let login = localLogins.get(run);
  if (login === undefined) {
    const registry = run.config.registry;
    login = registry.local ? Promise.reject(localRegistryUnsupported(run)) : run.local(registryCommands.login(registry)).then(() => undefined);
    localLogins.set(run, login);
  }
  return login;
}

/** The `docker login` to run on a host (first step of the host's pull batch), or null for a local registry. */
export function remoteLoginCommand(run: Run): Cmd | null {
  const registry = run.config.registry;
  if (registry.local) return null;
  return registryCommands.login(registry);
}

/** `docker login` on each host. */
export async function loginOnHosts(run: Run, hosts: readonly string[]): Promise<void> {
  const login = remoteLoginCommand(run);
  if (login === null) return;
  await run.on(hosts, (host) => run.exec(host, login));
}

function localRegistryUnsupported(run: Run): BerthError {
  return new BerthError(
    `registry/server: ${run.config.registry.server} is a local registry, which Kamal reaches from the hosts through an SSH tunnel; ` +
      "Berth doesn't open that tunnel yet. Use a registry the hosts can reach (for example one on your network).",
  );
}

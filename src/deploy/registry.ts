// `registry setup|remove|login|logout [-L] [-R]` (Kamal's cli/registry.rb): log in here and on
// every host. With a local registry (`localhost:PORT`) Kamal starts a `registry:3` container here;
// Berth serves those images itself (image-delivery.ts), so setup has nothing to start, and
// remove only removes a container Kamal left. The password goes to
// `docker login --password-stdin` on standard input, and since the username is a secret too the
// whole command line travels on stdin: neither shows in any process list, here or on the hosts.
import { builder as builderCommands, registry as registryCommands } from "../commands/index.js";
import { BerthError } from "../util/errors.js";
import type { Run } from "./run.js";

export interface RegistryRequest {
  /** -L: nothing on this machine. */
  readonly skipLocal: boolean;
  /** -R: nothing on the hosts. */
  readonly skipRemote: boolean;
}

async function ensureDockerInstalled(run: Run): Promise<void> {
  const result = await run.local(builderCommands.dockerVersion(), { level: "debug", allowFailure: true });
  if (result.code !== 0) throw new BerthError("Docker is not installed locally", "Kamal::Cli::DependencyError");
}

export async function setupRegistry(run: Run, request: RegistryRequest): Promise<void> {
  const registry = run.config.registry;
  if (!request.skipLocal) await ensureDockerInstalled(run);
  if (registry.local) {
    run.say(`Nothing to set up: Berth serves the images of ${registry.server} to the hosts itself, from this machine's Docker over SSH`, "yellow");
    return;
  }
  if (!request.skipLocal) await run.local(registryCommands.login(registry));
  if (!request.skipRemote) await run.on(run.selection.hosts, (host) => run.exec(host, registryCommands.login(registry)));
}

export async function removeRegistry(run: Run, request: RegistryRequest): Promise<void> {
  const registry = run.config.registry;
  if (registry.local) {
    if (!request.skipLocal) await run.local(registryCommands.removeLocal(), { allowFailure: true });
    return;
  }
  if (!request.skipLocal) await run.local(registryCommands.logout(registry));
  if (!request.skipRemote) await logoutOnHosts(run, run.selection.hosts);
}

/** `docker logout` on the hosts (also the last step of `berth remove`). */
export async function logoutOnHosts(run: Run, hosts: readonly string[]): Promise<void> {
  if (run.config.registry.local) return;
  const logout = registryCommands.logout(run.config.registry);
  await run.on(hosts, (host) => run.exec(host, logout));
}

export async function loginRegistry(run: Run, request: RegistryRequest): Promise<void> {
  if (run.config.registry.local) throw new BerthError("Cannot use login command with a local registry. Use `berth registry setup` instead.");
  await setupRegistry(run, request);
}

export async function logoutRegistry(run: Run, request: RegistryRequest): Promise<void> {
  if (run.config.registry.local) throw new BerthError("Cannot use logout command with a local registry. Use `berth registry remove` instead.");
  await removeRegistry(run, request);
}

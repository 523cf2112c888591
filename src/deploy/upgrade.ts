// `upgrade` and `proxy upgrade` (Kamal's cli/main.rb#upgrade and cli/proxy.rb#upgrade): servers
// deployed by Kamal 1 (Traefik on ports 80/443, app containers on Docker's default bridge found
// by Traefik's labels, env files under .kamal/env) move to Kamal 2's layout: kamal-proxy, the
// `kamal` network, env files under .kamal/apps/<app>. All hosts at once, or one by one with
// --rolling, under the deploy lock.
//
// Kamal stops Traefik, then boots kamal-proxy and the app, so each host serves nothing while the
// proxy starts, the app boots and passes its first health check. Berth does that part while
// Traefik still serves:
//   1. the proxy boots without its ports (staged), and the app boots into it, health-checked by
//      it; if that fails, the staged proxy goes and Traefik serves on, nothing switched;
//   2. one round trip per host swaps them: Traefik stopped, the staged proxy removed, the proxy
//      run with its ports; it restores the routes the staged one saved on their config volume;
//   3. Kamal 1's containers stopped, Traefik's container and image removed, the app pruned.
// The version booted is the one each host runs (its current container's), so the app keeps its
// version and names and can roll back to it; Kamal boots "latest" (which Berth does only where no
// container runs). A host that runs kamal-proxy and no Traefik is upgraded already: left alone.
import { auditor, docker as dockerCommands, proxy as proxyCommands, render, upgrade as upgradeCommands } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import type { Configuration } from "../config/index.js";
import { CommandFailedError } from "../transport/index.js";
import { BerthError } from "../util/errors.js";
import { readHostState, bootApp, type DeferredSteps } from "./app-boot.js";
import { upgradeAccessories } from "./accessory.js";
import { confirm } from "./confirm.js";
import type { HostState } from "./host-state.js";
import { runHook } from "./hooks.js";
import { withLock } from "./lock.js";
import { remoteLoginCommand } from "./login.js";
import { buildAndPushProxyImage, isMissingImageError, proxyConfigView, runsBerthProxy } from "./proxy-image.js";
import { pruneSteps } from "./prune.js";
import type { Run } from "./run.js";
import { allAccessoryHosts } from "./scope.js";

/** Kamal's fallback when a host runs no container of the app: its image tagged `latest`. */
const LATEST = "latest";

export interface UpgradeOptions {
  /** One host at a time. */
  readonly rolling: boolean;
  /** -y: don't ask. */
  readonly confirmed: boolean;
  /** The configuration for another app version (Kamal's `using_version`). */
  readonly configFor: (version: string) => Promise<Configuration>;
}

/** `upgrade [--rolling] [-y]`: the proxy upgrade on app hosts, then the accessories rebooted into the `kamal` network. */
export async function upgrade(run: Run, options: UpgradeOptions): Promise<void> {
  if (!(await confirm(run, "This will replace Traefik with kamal-proxy and restart all accessories", options.confirmed))) return;
  const accessories = async (scope: Run): Promise<void> => {
    if (scope.config.accessories.length > 0 && allAccessoryHosts(scope).length > 0) {
      await upgradeAccessories(scope, "all", { rolling: false, confirmed: true });
    }
  };
  await withLock(run, async () => {
    if (!options.rolling) {
      run.say("Upgrading all hosts...");
      await upgradeProxyIn(run, [run.selection.hosts], options);
      await accessories(run);
      run.say("Upgraded all hosts");
      return;
    }
    for (const host of run.selection.hosts) {
      run.say(`Upgrading ${host}...`);
      const scope = run.scoped({ hosts: [host] });
      if (run.selection.appHosts.includes(host)) await upgradeProxyIn(scope, [[host]], options);
      await accessories(scope);
      run.say(`Upgraded ${host}`);
    }
  });
}

/** `proxy upgrade [--rolling] [-y]` */
export async function upgradeProxy(run: Run, options: UpgradeOptions): Promise<void> {
  if (!(await confirm(run, "This will cause a brief outage on each host. Are you sure?", options.confirmed))) return;
  await withLock(run, async () => {
    const hosts = run.selection.hosts;
    await upgradeProxyIn(run, options.rolling ? hosts.map((host) => [host]) : [hosts], options);
  });
}

async function upgradeProxyIn(run: Run, groups: readonly (readonly string[])[], options: UpgradeOptions): Promise<void> {
  for (const group of groups) {
    const list = group.join(",");
    run.say(`Upgrading proxy on ${list}...`);
    await runHook(run, "pre-proxy-reboot", { hosts: group });
    await upgradeGroup(run.scoped({ hosts: group }), options);
    await runHook(run, "post-proxy-reboot", { hosts: group });
    run.say(`Upgraded proxy on ${list}`);
  }
}

interface Found {
  readonly traefik: boolean;
  readonly state: HostState;
}

/** Steps 1 to 3 (see the top) on the run's hosts, at once. */
async function upgradeGroup(run: Run, options: UpgradeOptions): Promise<void> {
  const found = new Map<string, Found>();
  await run.on(run.selection.hosts, async (host) => {
    const [traefik, state] = await Promise.all([
      run.capture(host, upgradeCommands.traefikRunning(), { allowFailure: true, level: "debug" }),
      readHostState(run, host),
    ]);
    found.set(host, { traefik: traefik !== "", state });
  });
  const upgraded = run.selection.hosts.filter((host) => run.config.proxyHosts.includes(host) && found.get(host)!.state.proxy.running && !found.get(host)!.traefik);
  for (const host of upgraded) run.say(`kamal-proxy already runs on ${host} and Traefik doesn't: nothing to upgrade there`, "yellow");
  const hosts = run.selection.hosts.filter((host) => !upgraded.includes(host));
  if (hosts.length === 0) return;
  const staged = hosts.filter((host) => run.config.proxyHosts.includes(host));

  await stageProxies(run, hosts, staged);
  let deferred: DeferredSteps;
  try {
    deferred = await bootCurrentVersions(run, hosts.filter((host) => run.selection.appHosts.includes(host)), found, options);
  } catch (error) {
    if (staged.length > 0) {
      run.say(`Removing the staged kamal-proxy: Traefik still serves on ${staged.join(", ")}, nothing was switched`, "red");
      await run.on(staged, (host) => run.exec(host, upgradeCommands.removeStagedProxy(), { allowFailure: true }));
    }
    throw error;
  }
  await run.on(staged, (host) => switchProxy(run, host));

  const prune = await pruneSteps(run, "all");
  await run.on(hosts, (host) =>
    run.batch(host, [
      ...(deferred.get(host) ?? []),
      ...(staged.includes(host) ? [{ command: upgradeCommands.removeTraefik(), allowFailure: true, label: "traefik remove" }] : []),
      ...prune,
    ]),
  );
}

/** Audit, registry login, the `kamal` network, and on proxy hosts the proxy without ports: one round trip per host. */
async function stageProxies(run: Run, hosts: readonly string[], staged: readonly string[]): Promise<void> {
  const tags = await run.tags();
  const login = remoteLoginCommand(run);
  let imageBuild: Promise<string> | undefined;
  await run.on(hosts, async (host) => {
    const view = proxyConfigView(run.config, host);
    const stagedRun = upgradeCommands.stagedProxyRun(view, host);
    const steps: BatchStep[] = [
      { command: auditor.record(run.config, tags, "Rebooted proxy"), label: "audit" },
      ...(login === null ? [] : [{ command: login, label: "registry login" }]),
      { command: dockerCommands.createNetwork(), allowFailure: true, label: "network create" },
      ...(staged.includes(host)
        ? [
            { command: proxyCommands.stop(), allowFailure: true, label: "proxy stop" },
            { command: proxyCommands.removeContainer(), label: "proxy remove container" },
            { command: proxyCommands.ensureAppsConfigDirectory(view), label: "apps-config directory" },
            { command: stagedRun, allowFailure: true, label: "staged proxy" },
          ]
        : []),
    ];
    const results = await run.batch(host, steps);
    const result = (label: string) => results.find((item) => steps[item.index]?.label === label);
    const network = result("network create");
    if (network !== undefined && network.code !== 0 && !dockerCommands.isNetworkExistsError(`${network.stderr}\n${network.stdout}`)) {
      throw new BerthError(`Could not create the kamal network on ${host}: ${`${network.stderr}${network.stdout}`.trim()}`);
    }
    const proxy = result("staged proxy");
    if (proxy === undefined || proxy.code === 0) return;
    const output = `${proxy.stderr}\n${proxy.stdout}`;
    if (!runsBerthProxy(run.config, host) || !isMissingImageError(output)) {
      throw new CommandFailedError(host, render(stagedRun), proxy.code ?? 1, proxy.stdout, proxy.stderr);
    }
    // Berth's proxy image isn't in the registry yet: built and pushed once, then the proxy again.
    await (imageBuild ??= buildAndPushProxyImage(run));
    await run.batch(host, [{ command: proxyCommands.removeContainer(), label: "proxy remove container" }, { command: stagedRun, label: "staged proxy" }]);
  });
}

/**
 * `app boot` of the version each host runs now, into the staged proxy; the old containers keep
 * running (Traefik still sends them traffic): their stops come back per host.
 */
async function bootCurrentVersions(run: Run, hosts: readonly string[], found: ReadonlyMap<string, Found>, options: UpgradeOptions): Promise<DeferredSteps> {
  const byVersion = new Map<string, string[]>();
  for (const host of hosts) {
    const version = currentVersion(run, host, found.get(host)!.state);
    byVersion.set(version, [...(byVersion.get(version) ?? []), host]);
  }
  const deferred: DeferredSteps = new Map();
  for (const [version, versionHosts] of byVersion) {
    const scope = run.scoped({ hosts: versionHosts, config: await options.configFor(version) });
    const stops = await bootApp(scope, { version, deferStopOld: true });
    for (const [host, steps] of stops) deferred.set(host, [...(deferred.get(host) ?? []), ...steps]);
  }
  return deferred;
}

/** The version of the current container of the host's first role that has one (primary role first), else `latest`. */
export function currentVersion(run: Run, host: string, state: HostState): string {
  for (const role of run.selection.rolesOn(host)) {
    const current = state.roles.get(role.name)?.current;
    if (current !== undefined && current !== "") return current.replace(/_replaced_[0-9a-f]+$/, "");
  }
  return LATEST;
}

/**
 * Traefik stopped, the staged proxy removed and the proxy run with its ports, in one round trip.
 * If the proxy can't start, Traefik is started again (it still has the old containers to serve).
 */
async function switchProxy(run: Run, host: string): Promise<void> {
  const steps: BatchStep[] = [
    { command: upgradeCommands.stopTraefik(), allowFailure: true, label: "traefik stop" },
    { command: upgradeCommands.removeStagedProxy(), allowFailure: true, label: "staged proxy remove" },
    { command: proxyCommands.run(proxyConfigView(run.config, host), host), label: "proxy run" },
  ];
  try {
    await run.batch(host, steps);
  } catch (error) {
    await run.batch(host, [
      { command: upgradeCommands.removeStagedProxy(), allowFailure: true, label: "proxy remove" },
      { command: upgradeCommands.startTraefik(), allowFailure: true, label: "traefik start" },
    ]);
    throw new BerthError(`kamal-proxy could not take over from Traefik on ${host}, so Traefik was started again: ${(error as Error).message}`);
  }
}

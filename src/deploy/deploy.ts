// `setup`, `deploy`, `redeploy` and `rollback` (Kamal's cli/main.rb; reference §3). The deploy in
// round trips per host, for an image that is already built:
//   - registry login + audit + pull + label check (before the lock);
//   - lock acquire (primary host only);
//   - network + proxy version + apps-config directory + proxy start-or-run + what each role has
//     running (clash, current, running versions);
//   - per role: stale stops + rename + audit + env file + docker run; then proxy deploy + old stop;
//   - audit + tag latest + prune (+ lock release on the primary host).
import type { BatchStep } from "../commands/batch.js";
import { BerthError } from "../util/errors.js";
import { bootApp, lookupSteps, readLookups, tagLatestSteps, type HostStates } from "./app-boot.js";
import { buildAndPush, pullOnHosts } from "./build.js";
import { timed } from "./finish.js";
import { runHook } from "./hooks.js";
import { loginLocally } from "./login.js";
import { lockHost, markReleased, ownsLock, releaseCommand, withLock } from "./lock.js";
import { proxyBootSteps, runWithProxyBoot } from "./proxy.js";
import { pruneSteps } from "./prune.js";
import { bootstrapServers } from "./server.js";
import type { Run } from "./run.js";
import { app as appCommands } from "../commands/index.js";

export interface DeployOptions {
  /** -P: pull the image on the hosts instead of building and pushing it. */
  readonly skipPush: boolean;
  /** --no-cache */
  readonly noCache: boolean;
}

interface Phases {
  readonly bootProxy: boolean;
  readonly bootAccessories: boolean;
  readonly prune: boolean;
}

/** `deploy`: build, push, pull; then under the lock: proxy, stale containers, app boot, prune. */
export async function deploy(run: Run, options: DeployOptions): Promise<void> {
  await timed(run, async () => {
    await shipImage(run, options);
    await withLock(run, () => deployUnderLock(run, { bootProxy: true, bootAccessories: false, prune: true }));
  });
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/** `redeploy`: like deploy, without the proxy boot and the prune. */
export async function redeploy(run: Run, options: DeployOptions): Promise<void> {
  await timed(run, async () => {
    await shipImage(run, options);
    await withLock(run, () => deployUnderLock(run, { bootProxy: false, bootAccessories: false, prune: false }));
  });
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/** `setup`: under the lock from the start: Docker on the servers, then the deploy with the accessories booted too. */
export async function setup(run: Run, options: DeployOptions): Promise<void> {
  await timed(run, async () => {
    await withLock(run, async () => {
      run.say("Ensure Docker is installed...");
      await bootstrapServers(run);
      await shipImage(run, options);
      await deployUnderLock(run, { bootProxy: true, bootAccessories: true, prune: true });
    });
  });
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/** Phase A, without the lock: the image built and pushed (or only pulled with -P) and checked on every host. */
async function shipImage(run: Run, options: DeployOptions): Promise<void> {
  if (options.skipPush) {
    run.say("Pull app image...");
  } else {
    run.say("Log into image registry...");
    await run.beforeFirstConnection();
    await loginLocally(run);
    run.say("Build and push app image...");
    await buildAndPush(run, { noCache: options.noCache });
  }
  await pullOnHosts(run);
}

async function deployUnderLock(run: Run, phases: Phases): Promise<void> {
  await runHook(run, "pre-deploy", { secrets: true });
  const hosts = run.selection.appHosts;

  // The proxy and what each role runs, in one round trip per host.
  if (phases.bootProxy) run.say("Ensure kamal-proxy is running...");
  run.say("Detect stale containers...");
  const states: HostStates = new Map();
  await run.on(hosts, async (host) => {
    const lookups = lookupSteps(run, host);
    const steps = [...(phases.bootProxy ? proxyBootSteps(run, host) : []), ...lookups];
    const results = phases.bootProxy ? await runWithProxyBoot(run, host, steps) : await run.batch(host, steps);
    states.set(host, readLookups(run, host, steps, results));
  });

  if (phases.bootAccessories) await bootAllAccessories(run);

  await bootApp(run, { states, stopStale: true, tagLatest: false });

  // Tag latest (after every host booted), prune, and give the lock back: one round trip per host.
  if (phases.prune) run.say("Prune old containers and images...");
  const tag = await tagLatestSteps(run);
  const prune = phases.prune ? await pruneSteps(run, "all") : [];
  const lock = ownsLock(run) ? lockHost(run) : undefined;
  const releaseHere = lock !== undefined && hosts.includes(lock);
  if (releaseHere) run.say("Releasing the deploy lock...");
  await run.on(hosts, async (host) => {
    const steps: BatchStep[] = [...tag, ...prune, ...(releaseHere && host === lock ? [{ command: releaseCommand(run), label: "lock release" }] : [])];
    await run.batch(host, steps, { level: "debug" });
    if (releaseHere && host === lock) markReleased(run);
  });
}

/**
 * `accessory boot all` for setup. Accessories are another module's (src/deploy/accessory.ts,
 * `bootAccessories(run, "all")`); until it exists, setup says so instead of booting them.
 */
async function bootAllAccessories(run: Run): Promise<void> {
  if (run.config.accessories.length === 0) return;
  const modulePath = "./accessory.js";
  const accessories = (await import(modulePath).catch(() => undefined)) as
    | { bootAccessories?: (run: Run, name: string) => Promise<void> }
    | undefined;
  if (accessories?.bootAccessories === undefined) {
    run.say("Skipping accessories: `accessory boot` is not available in this build yet", "yellow");
    return;
  }
  await accessories.bootAccessories(run, "all");
}

// rollback -----------------------------------------------------------------------------------

/**
 * `rollback VERSION`: `run` must be for that version (its configuration's version is VERSION).
 * Checks that the version's container exists for every role on every host first, and names the
 * versions that do exist when it doesn't.
 */
export async function rollback(run: Run, version: string): Promise<void> {
  let rolledBack = false;
  await timed(run, async () => {
    await withLock(run, async () => {
      await requireContainers(run, version);
      await runHook(run, "pre-deploy", { secrets: true });
      await bootApp(run, { version });
      rolledBack = true;
    });
  });
  if (rolledBack) await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

async function requireContainers(run: Run, version: string): Promise<void> {
  const config = run.config;
  const missing: string[] = [];
  const available = new Set<string>();
  await run.on(run.selection.appHosts, async (host) => {
    const roles = run.selection.rolesOn(host);
    const steps = roles.flatMap((role) => [
      { command: appCommands.containerIdForVersion(config, role, version), allowFailure: true },
      { command: appCommands.listContainerNames(config, role), allowFailure: true },
    ]);
    const results = await run.batch(host, steps);
    roles.forEach((role, index) => {
      if ((results[index * 2]?.stdout.trim() ?? "") === "") missing.push(`${role.name} on ${host}`);
      for (const name of (results[index * 2 + 1]?.stdout ?? "").split("\n")) {
        const prefix = `${role.containerPrefix}-`;
        if (name.trim().startsWith(prefix)) available.add(name.trim().slice(prefix.length));
      }
    });
  });
  if (missing.length === 0) return;
  const versions = [...available].filter((item) => !item.includes("_replaced_")).sort();
  throw new BerthError(
    `The app version '${version}' is not available as a container (missing for ${missing.join(", ")}). ` +
      (versions.length > 0 ? `Versions available: ${versions.join(", ")}` : "No other versions are available") +
      " (see `berth app containers`)",
    "Berth::RollbackError",
  );
}

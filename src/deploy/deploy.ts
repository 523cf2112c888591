// `setup`, `deploy`, `redeploy` and `rollback` (Kamal's cli/main.rb; reference §3). Kamal's steps,
// in round trips per host, overlapped where nothing orders them:
//   - registry login + audit + pull + label check, while the lock is taken on the primary host and
//     (without a pre-deploy hook, which must see the pulled image first) while the proxy boots
//     (network + version + apps-config directory + start-or-run) and what each role runs is read;
//   - per role: stale stops + rename + audit + env file + docker run; then the proxy deploy;
//   - old containers stopped + audit + tag latest, beside the prunes; then the lock released.
import { BerthError } from "../util/errors.js";
import { bootApp, readHostState, tagLatestSteps, type HostStates } from "./app-boot.js";
import { bootAccessories } from "./accessory.js";
import { buildAndPush, prePullOnHosts, pullOnHosts } from "./build.js";
import { timed } from "./finish.js";
import { hookFile, runHook } from "./hooks.js";
import { loginLocally } from "./login.js";
import { withLock } from "./lock.js";
import { checkProxyVersion, proxyBootSteps, runWithProxyBoot } from "./proxy.js";
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
    const { pulled } = await shipImage(run, options);
    await finishPull(pulled, withLock(run, () => deployUnderLock(run, pulled, { bootProxy: true, bootAccessories: false, prune: true })));
  });
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/** `redeploy`: like deploy, without the proxy boot and the prune. */
export async function redeploy(run: Run, options: DeployOptions): Promise<void> {
  await timed(run, async () => {
    const { pulled } = await shipImage(run, options);
    await finishPull(pulled, withLock(run, () => deployUnderLock(run, pulled, { bootProxy: false, bootAccessories: false, prune: false })));
  });
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/** `setup`: under the lock from the start: Docker on the servers, then the deploy with the accessories booted too. */
export async function setup(run: Run, options: DeployOptions): Promise<void> {
  await timed(run, async () => {
    await withLock(run, async () => {
      run.say("Ensure Docker is installed...");
      await bootstrapServers(run);
      const { pulled } = await shipImage(run, options);
      await finishPull(pulled, deployUnderLock(run, pulled, { bootProxy: true, bootAccessories: true, prune: true }));
    });
  });
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/**
 * Phase A: the image built and pushed here (skipped with -P), while the hosts log in to the
 * registry and drop their copy of this version; then the pull starts on every host. Returns the
 * pull, still running (it is awaited under the lock), in an object so `await` doesn't wait for it.
 */
async function shipImage(run: Run, options: DeployOptions): Promise<{ pulled: Promise<void> }> {
  await run.beforeFirstConnection();
  if (!options.skipPush) run.say("Log into image registry...");
  const prePulled = prePullOnHosts(run);
  prePulled.catch(() => undefined); // awaited below
  try {
    if (!options.skipPush) {
      await loginLocally(run);
      run.say("Build and push app image...");
      await buildAndPush(run, { noCache: options.noCache });
    }
  } finally {
    await prePulled.catch(() => undefined);
  }
  await prePulled;
  run.say("Pull app image...");
  const pulled = pullOnHosts(run, { prePulled: true });
  pulled.catch(() => undefined); // observed by deployUnderLock or finishPull
  return { pulled };
}

/** Waits for the work, and for the pull even when the work failed first (nothing is left running). */
async function finishPull(pulled: Promise<void>, work: Promise<void>): Promise<void> {
  try {
    await work;
  } finally {
    await pulled.catch(() => undefined);
  }
}

async function deployUnderLock(run: Run, pulled: Promise<void>, phases: Phases): Promise<void> {
  const hosts = run.selection.appHosts;
  // A pre-deploy hook runs once the image is on every host, and before anything else changes.
  const preDeployHook = !run.globals.skipHooks && hookFile(run, "pre-deploy") !== undefined;
  if (preDeployHook) {
    await pulled;
    await runHook(run, "pre-deploy", { secrets: true });
  }

  // What each host runs (one round trip); the proxy is started only where it doesn't run.
  if (phases.bootProxy) run.say("Ensure kamal-proxy is running...");
  run.say("Detect stale containers...");
  const states: HostStates = new Map();
  const prepared = run.on(hosts, async (host) => {
    const state = await readHostState(run, host);
    states.set(host, state.roles);
    const proxied = run.config.proxyHosts.includes(host);
    const appsRunning = [...state.roles.values()].some((role) => role.running.length > 0);
    if (phases.bootProxy && proxied && state.proxy.running) checkProxyVersion(host, state.proxy.version);
    else if ((phases.bootProxy && proxied) || !appsRunning) await runWithProxyBoot(run, host, proxyBootSteps(run, host, { proxy: phases.bootProxy }));
  });
  prepared.catch(() => undefined);
  await pulled;
  await prepared;
  if (!preDeployHook) await runHook(run, "pre-deploy", { secrets: true });

  if (phases.bootAccessories) await bootAllAccessories(run);

  const deferred = await bootApp(run, { states, stopStale: true, tagLatest: false, deferStopOld: true });

  // Old containers stopped beside the image tagged as latest (after every host booted) and the
  // prunes: two channels of the host's one connection, as the prunes don't need the stop (a
  // container still stopping is simply pruned next time). Then withLock gives the lock back.
  if (phases.prune) run.say("Prune old containers and images...");
  const tag = await tagLatestSteps(run);
  const prune = phases.prune ? await pruneSteps(run, "all") : [];
  await run.on(hosts, async (host) => {
    await Promise.all(
      [deferred.get(host) ?? [], [...tag, ...prune]].filter((steps) => steps.length > 0).map((steps) => run.batch(host, steps, { level: "debug" })),
    );
  });
}

/** `accessory boot all` (accessory.ts), for setup. */
async function bootAllAccessories(run: Run): Promise<void> {
  if (run.config.accessories.length > 0) await bootAccessories(run, "all");
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

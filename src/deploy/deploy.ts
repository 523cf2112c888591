// `setup`, `deploy`, `redeploy` and `rollback` (Kamal's cli/main.rb; reference §3). Kamal's steps,
// in round trips per host, overlapped where nothing orders them:
//   - the deploy lock is taken on the primary host as soon as it is reachable, while the image is
//     built and pushed here (Kamal takes it after the pull: a second deploy is refused before it
//     builds instead of after);
//   - beside the lock, each host's Docker API opened over its SSH connection (docker-api.ts): the
//     state read, rename, run, stops, prune and tag below then go as requests, not CLI processes;
//   - under the lock, one round trip per host: the pull's audit line, and what the host runs (every
//     role's containers, the proxy) and holds under the version's tag;
//   - with -P (nothing built), the pull beside the lock, as Kamal pulls before taking it;
//   - otherwise, once `repo:VER` is pushed: the pull (registry login + pull + label check), only on hosts that
//     don't hold the image just pushed (same image ID), beside the push of `latest` here; the
//     proxy booted where it doesn't run. (With a pre-deploy hook, which must see the pulled image
//     first, what the hosts run is read again after it.)
//   - per role: stale stops + rename + audit + env file + docker run; then the proxy deploy,
//     beside the host's prunes (see pruneAheadOfStops);
//   - old containers stopped, beside audit + tag latest; then the lock released.
import { settleAll } from "../util/settle.js";
import { bootApp, readHostState, tagLatestSteps, type DeferredSteps, type HostStates } from "./app-boot.js";
import { prunePlan, type HostState } from "./host-state.js";
import type { BatchStep } from "../commands/batch.js";
import { bootAccessories } from "./accessory.js";
import { shipBuild, type ShippedImage } from "./build.js";
import { pullAuditStep, pullUnlessPresent } from "./image-pull.js";
import { timed } from "./finish.js";
import { hookFile, runHook } from "./hooks.js";
import { serveImagesTo } from "./image-delivery.js";
import { loginLocally } from "./login.js";
import { withLock } from "./lock.js";
import { checkProxyVersion, proxyBootSteps, runWithProxyBoot } from "./proxy.js";
import * as proxyCommands from "../commands/proxy/exec.js";
import { plannedPruneSteps } from "./prune.js";
import { failureReport, interruption, putBack, type Progress } from "./put-back.js";
import { runRelease } from "./release.js";
import type { ReleaseSettings } from "../config/index.js";
import { bootstrapServers } from "./server.js";
import type { Run } from "./run.js";

export interface DeployOptions {
  /** -P: pull the image on the hosts instead of building and pushing it. */
  readonly skipPush: boolean;
  /** --no-cache */
  readonly noCache: boolean;
  /** --skip-release: don't run `x-berth.release.cmd`. */
  readonly skipRelease?: boolean;
  /** --atomic / --no-atomic, over `x-berth.atomic`. */
  readonly atomic?: boolean;
  /** --release-timeout, over `x-berth.release.timeout`. */
  readonly releaseTimeout?: number;
}

interface Phases {
  readonly bootProxy: boolean;
  readonly bootAccessories: boolean;
  readonly prune: boolean;
}

/** Berth's own phases (`x-berth`, the flags over it): the release command, all-or-nothing. */
interface BerthPhases {
  readonly release: ReleaseSettings | undefined;
  readonly atomic: boolean;
}

function berthPhases(run: Run, options: DeployOptions): BerthPhases {
  const settings = run.config.berth.withFlags({ skipRelease: options.skipRelease, atomic: options.atomic, releaseTimeout: options.releaseTimeout });
  return { release: settings.release, atomic: settings.atomic };
}

/** `deploy`: build, push and pull beside the lock; then under it: proxy, stale containers, app boot, prune. */
export async function deploy(run: Run, options: DeployOptions): Promise<void> {
  await timed(run, () => shipAndDeploy(run, options, { bootProxy: true, bootAccessories: false, prune: true }));
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/** `redeploy`: like deploy, without the proxy boot and the prune. */
export async function redeploy(run: Run, options: DeployOptions): Promise<void> {
  await timed(run, () => shipAndDeploy(run, options, { bootProxy: false, bootAccessories: false, prune: false }));
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/** `setup`: under the lock from the start: Docker on the servers, then the deploy with the accessories booted too. */
export async function setup(run: Run, options: DeployOptions): Promise<void> {
  await timed(run, async () => {
    await withLock(run, async () => {
      run.say("Ensure Docker is installed...");
      await bootstrapServers(run);
      await shipAndDeploy(run, options, { bootProxy: true, bootAccessories: true, prune: true });
    });
  });
  await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

/**
 * The image shipped (built and `repo:VER` pushed) while the lock is taken, then the deploy under
 * the lock. When the lock is refused, the shipment stops before its next step; whatever fails,
 * nothing is left running.
 */
async function shipAndDeploy(run: Run, options: DeployOptions, phases: Phases): Promise<void> {
  // At Ctrl-C/SIGTERM the deploy stops at its next step and puts back what it changed (see
  // interruption below) instead of being cut off.
  const windingDown = run.windDownOnSignals();
  const progress: Progress = { started: [], failures: [], notSwitched: [], putBack: undefined, completed: false };
  try {
    await run.beforeFirstConnection();
    await run.warmUp(run.selection.appHosts);
    for (const host of run.selection.appHosts) run.services.dockerApi.openOn(host);
    // A local registry's images are served from here: the hosts' forwards open beside the build.
    const serving = serveImagesTo(run, run.selection.appHosts);
    serving.catch(() => undefined); // awaited below
    const refused = new AbortController();
    const shipping = shipImage(run, options, refused.signal);
    shipping.catch(() => undefined); // awaited below
    // With -P nothing is built: the hosts pull beside the lock, as Kamal pulls before taking it.
    const pulling = options.skipPush ? serving.then(() => pullEverywhere(run)) : undefined;
    pulling?.catch(() => undefined); // awaited under the lock
    try {
      await withLock(run, async () => {
        await serving;
        await deployUnderLock(run, { shipping, pulling }, { ...phases, ...berthPhases(run, options) }, progress);
      });
    } catch (error) {
      refused.abort(error); // the build or push under way is stopped
      throw error;
    } finally {
      const shipped = await shipping.catch(() => undefined);
      await Promise.all([shipped?.pushesSettled(), pulling?.catch(() => undefined)]);
    }
  } catch (error) {
    throw run.interrupted.aborted ? interruption(run, progress) : error;
  } finally {
    windingDown();
  }
  // Every host had switched when the signal came: the deploy was finished, and is reported as interrupted.
  if (run.interrupted.aborted) throw interruption(run, progress);
}

/** Phase A: login here, build and push `repo:VER` (nothing with -P, where the hosts pull what the registry has). */
async function shipImage(run: Run, options: DeployOptions, stop: AbortSignal): Promise<ShippedImage> {
  if (options.skipPush) return { imageId: undefined, pushRest: () => Promise.resolve(), pushesSettled: () => Promise.resolve() };
  run.say("Log into image registry...");
  const loggedIn = loginLocally(run);
  loggedIn.catch(() => undefined); // shared with shipBuild, which awaits it
  run.say("Build and push app image...");
  return shipBuild(run, { noCache: options.noCache, stop });
}

/** The image on every app host: `-P`'s pull, which needs no build and so starts beside the lock. */
async function pullEverywhere(run: Run): Promise<void> {
  run.say("Pull app image...");
  await run.on(run.selection.appHosts, (host) => pullUnlessPresent(run, host, undefined, undefined));
}

interface Delivery {
  /** The build and the push of `repo:VER` (nothing to do with -P). */
  readonly shipping: Promise<ShippedImage>;
  /** -P's pull, under way since before the lock. */
  readonly pulling: Promise<void> | undefined;
}

async function deployUnderLock(run: Run, { shipping, pulling }: Delivery, phases: Phases & BerthPhases, progress: Progress): Promise<void> {
  run.throwIfInterrupted();
  const hosts = run.selection.appHosts;
  const audit = await pullAuditStep(run);
  const states = new Map<string, HostState>();
  const readStates = (before: BatchStep[]): Promise<unknown> =>
    run.on(hosts, async (host) => {
      const state = await readHostState(run, host, undefined, before);
      states.set(host, state);
      if (run.config.proxyHosts.includes(host)) run.services.proxyControl.openOn(host, state.proxy);
    });

  // Once `repo:VER` is pushed, the pull where a host doesn't hold that image, then `latest` pushed (see pushRest).
  const pullAll = async (): Promise<void> => {
    if (pulling !== undefined) return pulling;
    const shipped = await shipping;
    run.say("Pull app image...");
    await run.on(hosts, (host) => pullUnlessPresent(run, host, states.get(host)?.image, shipped.imageId));
    await shipped.pushRest();
  };

  // A pre-deploy hook runs once the image is on every host, and before anything else is read or changed.
  const preDeployHook = !run.globals.skipHooks && hookFile(run, "pre-deploy") !== undefined;
  if (preDeployHook) {
    await readStates([audit]);
    await pullAll();
    await runHook(run, "pre-deploy", { secrets: true });
  }
  if (phases.bootProxy) run.say("Ensure kamal-proxy is running...");
  run.say("Detect stale containers...");
  await readStates(preDeployHook ? [] : [audit]);

  // The proxy is started only where it doesn't run (after the push, so a failed build changes nothing).
  const proxies = run.on(hosts, async (host) => {
    const state = states.get(host)!;
    const proxied = run.config.proxyHosts.includes(host);
    const appsRunning = [...state.roles.values()].some((role) => role.running.length > 0);
    if (phases.bootProxy && proxied && state.proxy.running) checkProxyVersion(host, state.proxy.version);
    else if ((phases.bootProxy && proxied) || !appsRunning) {
      await shipping;
      await runWithProxyBoot(run, host, proxyBootSteps(run, host, { proxy: phases.bootProxy }));
    }
  });
  await settleAll(preDeployHook ? Promise.resolve() : pullAll(), proxies);
  run.throwIfInterrupted();
  if (!preDeployHook) await runHook(run, "pre-deploy", { secrets: true });

  if (phases.bootAccessories) await bootAllAccessories(run);
  run.throwIfInterrupted();
  // Every host holds the image and nothing has switched: the release command, once.
  if (phases.release !== undefined) await runRelease(run, phases.release);
  run.throwIfInterrupted();

  const roleStates: HostStates = new Map([...states].map(([host, state]) => [host, state.roles]));
  const pruning = new Map<string, Promise<unknown>>();
  const pruneWhenStarted = phases.prune ? await pruneAheadOfStops(run, states, pruning) : undefined;
  let deferred: DeferredSteps;
  try {
    deferred = await bootApp(run, {
      states: roleStates,
      stopStale: true,
      tagLatest: false,
      deferStopOld: true,
      started: progress.started,
      failures: progress.failures,
      allOrNothing: phases.atomic,
      notSwitched: progress.notSwitched,
      ...(pruneWhenStarted ? { onStarted: pruneWhenStarted } : {}),
    });
  } catch (error) {
    // No old container was stopped yet: hosts that switched go back, so no host runs both versions.
    await Promise.allSettled(pruning.values());
    progress.putBack = await putBack(run, progress.started, { atomic: phases.atomic });
    if (phases.atomic) for (const line of failureReport(`The deploy of ${run.config.version}`, progress.failures, progress.putBack, progress.notSwitched)) run.output.error(line);
    else for (const note of progress.putBack.notes) run.output.warn(note);
    throw error;
  }

  // Old containers stopped beside the image tagged as latest (after every host booted), while
  // the prunes finish; then withLock gives the lock back. A host whose `latest` already is the
  // image it runs now (it held the image just pushed, and tagged it before) is not tagged again.
  const tag = await tagLatestSteps(run);
  const shipped = await shipping;
  const tagged = (host: string): boolean => {
    const state = states.get(host);
    return state?.image !== undefined && state.image.id === shipped.imageId && state.latestImageId === state.image.id;
  };
  const maintenance = new Map<string, string[]>(); // host → roles
  await run.on(hosts, async (host) => {
    const steps = [deferred.get(host) ?? [], tagged(host) ? [] : tag];
    await settleAll(
      Promise.all(steps.filter((batch) => batch.length > 0).map((batch) => run.batch(host, batch, { level: "debug" }))),
      pruning.get(host) ?? Promise.resolve(),
      rolesInMaintenance(run, host).then((roles) => void maintenance.set(host, roles)),
    );
  });
  progress.completed = true;
  for (const role of new Set([...maintenance.values()].flat())) {
    const on = hosts.filter((host) => maintenance.get(host)?.includes(role));
    run.output.warn(`${role} is in maintenance mode on ${on.join(", ")}: the new version runs, but the proxy answers with the maintenance page until \`berth app live\``);
  }
}

/**
 * The proxied roles whose proxy service the host's proxy keeps stopped (`app maintenance`): a
 * deploy leaves them so (as Kamal's does), which the user must hear. Never fails the deploy.
 */
async function rolesInMaintenance(run: Run, host: string): Promise<string[]> {
  const roles = run.selection.rolesOn(host).filter((role) => role.runningProxy);
  if (roles.length === 0) return [];
  const listed = await run
    .batch(host, [proxyCommands.list()], { level: "debug" })
    .then(([result]) => result?.stdout ?? "")
    .catch(() => "");
  const stopped = new Set(
    listed
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((columns) => columns.includes("stopped") || columns.includes("paused"))
      .map((columns) => columns[0]),
  );
  return roles.filter((role) => stopped.has(role.containerPrefix)).map((role) => role.name);
}

/**
 * Kamal prunes after the old containers are stopped. Berth starts each host's prunes as soon as
 * its first new container runs, beside the proxy switch, and works out what they remove from the
 * state read (host-state.ts, prunePlan) instead of asking Docker again: nothing they remove is
 * needed by then (the new container holds the new image; the old one still runs and holds its
 * image). The containers this deploy stops afterwards (old and stale ones) count as stopped
 * already, so after the stops the host keeps `retain_containers`, as with Kamal.
 */
async function pruneAheadOfStops(run: Run, states: Map<string, HostState>, pruning: Map<string, Promise<unknown>>): Promise<(host: string) => void> {
  const steps = new Map<string, BatchStep[]>();
  for (const [host, state] of states) {
    const stopping = run.selection.rolesOn(host).reduce((sum, role) => sum + (state.roles.get(role.name)?.running.length ?? 0), 0);
    const plan = prunePlan(state, run.config, run.config.retainContainers, stopping);
    steps.set(host, await plannedPruneSteps(run, plan));
  }
  return (host) => {
    if (pruning.has(host)) return;
    if (pruning.size === 0) run.say("Prune old containers and images...");
    const pruned = run.batch(host, steps.get(host) ?? [], { level: "debug" });
    pruned.catch(() => undefined); // awaited by the deploy
    pruning.set(host, pruned);
  };
}

/** `accessory boot all` (accessory.ts), for setup. */
async function bootAllAccessories(run: Run): Promise<void> {
  if (run.config.accessories.length > 0) await bootAccessories(run, "all");
}

export { rollback } from "./rollback.js";

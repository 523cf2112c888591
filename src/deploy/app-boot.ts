// `app boot` (Kamal's cli/app.rb#boot and cli/app/boot.rb): prepare every host (error pages, TLS
// files, assets), then boot in groups of `boot.limit` hosts, primary-role hosts first, with the
// pre/post-app-boot hooks around each group. Per host and role:
//   1. what is there (clashing container, current version, running versions): read in one round
//      trip for all roles of the host, or handed in by the caller's earlier batch;
//   2. stale stops, rename of a clashing container, audit, env file (0600, through stdin) and
//      `docker run`: one round trip;
//   3. proxied roles: `kamal-proxy deploy` (health-gated switch, old target drained) and the old
//      container stopped, one round trip; other roles: status polls, then the old one stopped.
// Roles other than the primary wait for the first healthy primary container (the barrier). On
// failure the new container's last log lines and health are printed, it is stopped, and the old
// version keeps serving; all-or-nothing, the others then stop before they switch (first-failure.ts).
import { randomBytes } from "node:crypto";
import { app as appCommands, auditor } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import { hostStateRead } from "../commands/host-state.js";
import type { Role } from "../config/index.js";
import { SshConnectionError } from "../transport/index.js";
import { BerthError } from "../util/errors.js";
import { errorPagesArchive, prepareHost, startContainer, startSteps, stopOldSteps, stopStep } from "./app-boot-steps.js";
import { Barrier, HealthcheckError, waitUntilHealthy } from "./health.js";
import { parseHostState, type HostState, type RoleState } from "./host-state.js";
import { FirstFailure, giveUp, NotSwitchedError, switchUnlessFailed } from "./first-failure.js";
import { reportFailedContainer } from "./forensics/index.js";
import { runHook } from "./hooks.js";
import type { BootFailure, NotSwitched, StartedContainer } from "./put-back.js";
import type { Run } from "./run.js";

export class BootError extends BerthError {
  constructor(message: string) {
    super(message, "Kamal::Cli::BootError");
  }
}

/** host → role name → state */
export type HostStates = Map<string, Map<string, RoleState>>;

export interface BootOptions {
  /** The version to boot (the run's configuration is for this version). */
  readonly version?: string;
  /** States read earlier (e.g. in the deploy's proxy boot round trip). */
  readonly states?: HostStates;
  /** Stop running containers other than the current one first (deploy's "stale containers"). */
  readonly stopStale?: boolean;
  /** Tag the image as latest on every host at the end (default); a caller may batch it itself. */
  readonly tagLatest?: boolean;
  /**
   * Leave stopping the old containers (and cleaning up their assets and error pages) to the
   * caller, who gets the steps per host back: the proxy no longer sends them traffic, so the
   * deploy stops them in its last round trip instead of waiting for each stop here.
   */
  readonly deferStopOld?: boolean;
  /** Called once per host, as soon as the first new container there has started. */
  readonly onStarted?: (host: string) => void;
  /** Filled as new containers start, for the caller to put things back if the deploy fails (put-back.ts). */
  readonly started?: StartedContainer[];
  /** Filled with the hosts and roles whose boot failed, for the caller's report. */
  readonly failures?: BootFailure[];
  /** All-or-nothing: once a host or role failed, the others don't switch (first-failure.ts). */
  readonly allOrNothing?: boolean;
  /** Filled with the hosts and roles that didn't switch because another failed first. */
  readonly notSwitched?: NotSwitched[];
}

/** host → steps still to run there (see BootOptions.deferStopOld). */
export type DeferredSteps = Map<string, BatchStep[]>;


// Step 1: what is there --------------------------------------------------------------------

/**
 * What the selected roles on the host run, the proxy's state and the version's image: one round
 * trip (see host-state.ts), which also runs `before` (e.g. an audit line; nothing the read sees)
 * first, or beside the read where it goes by the Docker API.
 */
export async function readHostState(run: Run, host: string, version: string = run.config.version, before: readonly BatchStep[] = []): Promise<HostState> {
  const read: BatchStep = { command: hostStateRead(run.config), label: "state" };
  let results;
  if (before.length > 0 && (await run.services.dockerApi.carries(host, read.command))) {
    // The read goes by the API: what would have shared its round trip runs beside it.
    [results] = await Promise.all([run.batch(host, [read], { level: "debug" }), run.batch(host, before, { level: "debug" })]);
  } else {
    results = await run.batch(host, [...before, read], { level: "debug" });
  }
  return parseHostState(`${results.at(-1)?.stdout ?? ""}\n`, run.selection.rolesOn(host), run.config, version);
}

async function lookUpAll(run: Run, hosts: readonly string[], version: string): Promise<HostStates> {
  const states: HostStates = new Map();
  await run.on(hosts, async (host) => void states.set(host, (await readHostState(run, host, version)).roles));
  return states;
}

export type { RoleState };

// The whole boot ---------------------------------------------------------------------------

export async function bootApp(run: Run, options: BootOptions = {}): Promise<DeferredSteps> {
  const version = options.version ?? run.config.version;
  const hosts = run.selection.appHosts;
  run.say(`Start container with version ${version} (or reboot if already running)...`);
  const states = options.states ?? (await lookUpAll(run, hosts, version));

  // Everything every host needs before any container of this version starts.
  const errorPages = errorPagesArchive(run);
  await run.on(hosts, (host) => prepareHost(run, host, version, errorPages, states.get(host)));

  const primary = run.selection.primaryRole;
  const barrier = primary !== undefined && run.selection.roles.length > 1 && primary.primary ? new Barrier() : undefined;
  const deferred: DeferredSteps = new Map();
  const settings = { barrier, stopStale: options.stopStale ?? false, deferred: options.deferStopOld ? deferred : undefined, onStarted: options.onStarted, started: options.started, failures: options.failures, halt: options.allOrNothing ? new FirstFailure() : undefined, notSwitched: options.notSwitched };
  for (const [index, group] of bootGroups(run, hosts).entries()) {
    await runHook(run, "pre-app-boot", { hosts: group });
    await run.on(group, (host) => bootHost(run, host, version, states.get(host), settings));
    await runHook(run, "post-app-boot", { hosts: group });
    const wait = run.config.boot.wait;
    if (wait !== undefined && wait > 0 && index < bootGroups(run, hosts).length - 1) await sleep(wait * 1000);
  }

  if (options.tagLatest ?? true) {
    const steps = await tagLatestSteps(run);
    await run.on(hosts, (host) => run.batch(host, steps, { level: "debug" }));
  }
  return deferred;
}

/** Host groups of `boot.limit`, primary-role hosts first. */
export function bootGroups(run: Run, hosts: readonly string[]): string[][] {
  const limit = run.config.boot.limit;
  if (limit === undefined || limit <= 0) return [[...hosts]];
  const groups: string[][] = [];
  for (let i = 0; i < hosts.length; i += limit) groups.push(hosts.slice(i, i + limit));
  return groups;
}

/** Audit and `docker tag repo:VER repo:latest`, after every host booted. */
export async function tagLatestSteps(run: Run): Promise<BatchStep[]> {
  const config = run.config;
  return [
    { command: auditor.record(config, await run.tags(), `Tagging ${config.absoluteImage} as the latest image`), label: "audit" },
    { command: appCommands.tagLatestImage(config), label: "tag latest" },
  ];
}

// One host, one role -----------------------------------------------------------------------

interface HostBootSettings {
  readonly barrier: Barrier | undefined;
  readonly stopStale: boolean;
  /** Where to leave the old containers' stop steps instead of running them. */
  readonly deferred: DeferredSteps | undefined;
  readonly onStarted: ((host: string) => void) | undefined;
  readonly started: StartedContainer[] | undefined;
  readonly failures: BootFailure[] | undefined;
  readonly halt: FirstFailure | undefined;
  readonly notSwitched: NotSwitched[] | undefined;
}

async function bootHost(run: Run, host: string, version: string, states: Map<string, RoleState> | undefined, settings: HostBootSettings): Promise<void> {
  const roles = run.selection.rolesOn(host);
  const boot = (role: Role): Promise<void> => bootRole(run, host, role, version, states?.get(role.name), settings);
  if (run.config.boot.parallelRoles) {
    const outcomes = await Promise.allSettled(roles.map(boot));
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed) throw failed.reason;
  } else {
    for (const role of roles) await boot(role);
  }
}

async function bootRole(run: Run, host: string, role: Role, version: string, state: RoleState | undefined, settings: HostBootSettings): Promise<void> {
  const config = run.config;
  const tags = await run.tags();
  const known = state ?? { clash: false, current: undefined, running: [] };
  const renames: BatchStep[] = [];
  const steps: BatchStep[] = [];

  let oldVersion = known.current;
  let renamed: string | undefined;
  if (known.clash) {
    renamed = appCommands.replacedVersion(version, randomBytes(8).toString("hex"));
    run.output.info(`Renaming container ${version} to ${renamed} as already deployed on ${host}`);
    // The rename first, alone: where it goes by the Docker API, the shell steps then make one round trip.
    renames.push({ command: appCommands.renameContainer(config, role, version, renamed), label: "rename" });
    steps.push({ command: auditor.record(config, tags, `Renaming container ${version} to ${renamed}`, { role: role.name }), label: "audit" });
    if (oldVersion === version) oldVersion = renamed;
  }
  if (oldVersion === version) oldVersion = undefined;
  // Stale containers (e.g. left by an interrupted deploy; one of them may be the clashing container,
  // renamed above) are stopped with the old one, once the new one serves: the proxy may still send
  // them traffic until then. (Kamal stops them first, by their names before the rename.)
  const stale = settings.stopStale ? appCommands.staleVersions(known.running, known.current).map((name) => (name === version && renamed !== undefined ? renamed : name)) : [];
  for (const name of stale) run.output.putsByHost(host, `Stopping stale container for role ${role.name} with version ${name}`);

  const primaryRole = run.selection.primaryRole;
  const gatekeeper = settings.barrier !== undefined && role === primaryRole;
  const queuer = settings.barrier !== undefined && role !== primaryRole;
  if (queuer) {
    run.output.info(`Waiting for the first healthy ${primaryRole?.name} container before booting ${role.name} on ${host}...`);
    try {
      await settings.barrier!.wait();
    } catch {
      run.throwIfInterrupted();
      run.output.info(`First ${primaryRole?.name} container is unhealthy, not booting ${role.name} on ${host}`);
      throw new BootError(`First ${primaryRole?.name} container is unhealthy, not booting ${role.name} on ${host}`);
    }
    run.output.info(`First ${primaryRole?.name} container is healthy on ${host}, booting ${role.name} on ${host}...`);
  }

  const stopOldNow = [...stale.map((name) => stopStep(run, role, name, "stop stale")), ...(oldVersion === undefined ? [] : stopOldSteps(run, role, oldVersion))];
  const stopOld = settings.deferred === undefined ? stopOldNow : [];
  // A signal stops the boot before anything of this role starts, and before the switch.
  run.throwIfInterrupted();
  let started: StartedContainer | undefined;
  try {
    settings.halt?.check(host, role.name);
    steps.push(...startSteps(run, host, role, version, tags));
    const containerId = await startContainer(run, host, renames, steps);
    if (containerId === "") throw new BootError(`Failed to get endpoint for ${role.name} on ${host}, did the container boot?`);
    started = { host, role, version, oldVersion, serving: false, stopped: false };
    settings.started?.push(started);
    settings.onStarted?.(host);
    run.throwIfInterrupted();
    settings.halt?.check(host, role.name);
    if (role.runningProxy) {
      // The old container is stopped only once the proxy has switched to the new one.
      await switchUnlessFailed(run, settings.halt, started, () => run.batch(host, [appCommands.proxy.deploy(config, role, containerId.slice(0, 12))]));
      if (stopOld.length > 0) await run.batch(host, stopOld);
    } else {
      const status = (): Promise<string> => {
        run.throwIfInterrupted();
        settings.halt?.check(host, role.name);
        // By the Docker API where it is open: an inspect instead of two docker processes per poll.
        return run.batch(host, [{ command: appCommands.status(config, role, version), allowFailure: true, label: "status" }], { level: "debug" }).then(([result]) => result?.stdout.trim() ?? "");
      };
      await waitUntilHealthy(status, {
        timeoutSeconds: config.deployTimeout,
        readinessDelaySeconds: config.readinessDelay,
        onRetry: (status, delay, attempt) => run.output.info(`container not ready (${status}) on ${host}, retrying in ${delay}s (attempt ${attempt})...`),
      });
      started.serving = true;
      run.output.info(`Container ${role.containerName(version)} is healthy on ${host}`);
      if (stopOld.length > 0) await run.batch(host, stopOld);
    }
  } catch (error) {
    // Serving already (only the old container's stop failed): it stays.
    if (started?.serving) throw error;
    if (error instanceof NotSwitchedError) throw await giveUp(run, error, started, settings.notSwitched);
    // The others stop before they switch at once, not after this one's forensics.
    if (!run.interrupted.aborted) settings.halt?.fail(host, role.name);
    const lost = error instanceof SshConnectionError ? error : await run.connectionLost(host);
    const interrupted = lost === undefined && run.interrupted.aborted;
    if (lost !== undefined) run.output.error(`Lost the connection to ${host} while booting ${role.name} there`);
    else if (interrupted) run.output.info(`Interrupted: stopping ${role.containerName(version)} on ${host} before it serves`);
    else run.output.error(`Failed to boot ${role.name} on ${host}`);
    if (!interrupted) settings.failures?.push({ host, role: role.name });
    if (gatekeeper && settings.barrier!.close()) {
      run.output.info(`First ${role.name} container is unhealthy on ${host}, not booting any other roles`);
    }
    if (lost !== undefined) throw lost;
    if (interrupted) await run.batch(host, [{ command: appCommands.stop(config, role, { version }), allowFailure: true, label: "stop new version" }]).catch(() => undefined);
    else await reportAndStop(run, host, role, version);
    if (started !== undefined) started.stopped = true;
    throw error instanceof HealthcheckError ? new BootError(`${role.containerName(version)} on ${host}: ${error.message}`) : error;
  }
  if (gatekeeper) settings.barrier!.open();
  if (settings.deferred !== undefined && stopOldNow.length > 0) {
    settings.deferred.set(host, [...(settings.deferred.get(host) ?? []), ...stopOldNow]);
  }
}

/** Why the failed container isn't healthy (forensics/), then it is stopped, in one round trip. */
async function reportAndStop(run: Run, host: string, role: Role, version: string): Promise<void> {
  await reportFailedContainer(run, host, role, version, [{ command: appCommands.stop(run.config, role, { version }), allowFailure: true, label: "stop new version" }]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// `app start|stop|details|containers|stale_containers|images|version|live|maintenance|remove` and
// the hidden `remove_container|remove_containers|remove_images|remove_app_directories` (Kamal's
// cli/app.rb; `app boot` is app-boot.ts, `app exec` app-exec.ts, `app logs` logs.ts). Commands
// that change hosts run under the deploy lock; per host, the steps of all its roles that don't
// depend on each other's output go in one round trip.
import { app as appCommands, auditor, server as serverCommands, type Cmd } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import type { Role } from "../config/index.js";
import { BerthError } from "../util/errors.js";
import { withLock } from "./lock.js";
import type { Run } from "./run.js";

export class AppBootError extends BerthError {
  constructor(message: string) {
    super(message, "Kamal::Cli::BootError");
  }
}

async function audit(run: Run, line: string, role?: Role): Promise<Cmd> {
  return auditor.record(run.config, await run.tags(), line, role === undefined ? {} : { role: role.name });
}

/** Prints each host's output under `App Host: <host>`, in host order, once all hosts answered. */
async function showByHost(run: Run, hosts: readonly string[], work: (host: string) => Promise<string[]>): Promise<void> {
  const outputs = await run.on(hosts, async (host) => ({ host, texts: await work(host) }));
  for (const { host, texts } of outputs) for (const text of texts) run.output.putsByHost(host, text);
}

// start, stop --------------------------------------------------------------------------------

/** `docker start` of the configured version; proxied roles are registered with the proxy again. */
export async function startApp(run: Run): Promise<void> {
  await withLock(run, async () => {
    const line = await audit(run, `Started app version ${run.config.version}`);
    await run.on(run.selection.appHosts, async (host) => {
      for (const role of run.selection.rolesOn(host)) {
        const results = await run.batch(host, [
          { command: line, label: "audit" },
          { command: appCommands.start(run.config, role), allowFailure: true, label: "start" },
          ...(role.runningProxy ? [{ command: appCommands.currentRunningContainerId(run.config, role), allowFailure: true, label: "endpoint" }] : []),
        ]);
        if (!role.runningProxy) continue;
        const endpoint = results.at(-1)?.stdout.trim() ?? "";
        if (endpoint === "") throw new AppBootError(`Failed to get endpoint for ${role.name} on ${host}, did the container boot?`);
        await run.exec(host, appCommands.proxy.deploy(run.config, role, endpoint.slice(0, 12)));
      }
    });
  });
}

/**
 * Steps that take a role out of the proxy and stop its current container. Kamal removes the route
 * only when a container runs; here the removal is always tried (a missing route is no failure),
 * which saves the lookup's round trip and also unroutes a role whose container already died.
 */
async function stopSteps(run: Run, role: Role): Promise<BatchStep[]> {
  return [
    { command: await audit(run, "Stopped app", role), label: "audit" },
    ...(role.runningProxy ? [{ command: appCommands.proxy.remove(run.config, role), allowFailure: true, label: "proxy remove" }] : []),
    { command: appCommands.stop(run.config, role), allowFailure: true, label: "stop" },
  ];
}

export async function stopApp(run: Run): Promise<void> {
  await withLock(run, async () => {
    await run.on(run.selection.appHosts, async (host) => {
      const steps = (await Promise.all(run.selection.rolesOn(host).map((role) => stopSteps(run, role)))).flat();
      if (steps.length > 0) await run.batch(host, steps);
    });
  });
}

// details, containers, images, version --------------------------------------------------------

export async function showAppDetails(run: Run): Promise<void> {
  await showByHost(run, run.selection.appHosts, (host) =>
    Promise.all(run.selection.rolesOn(host).map((role) => run.capture(host, appCommands.info(run.config, role)))),
  );
}

export async function showAppContainers(run: Run): Promise<void> {
  const command = appCommands.listAllContainers(run.config);
  await showByHost(run, run.selection.appHosts, async (host) => [await run.capture(host, command)]);
}

export async function showAppImages(run: Run): Promise<void> {
  await showByHost(run, run.selection.appHosts, async (host) => [await run.capture(host, appCommands.listImages(run.config))]);
}

/** The version of the first role's current container on each host (empty when none runs). */
export async function showAppVersion(run: Run): Promise<void> {
  await showByHost(run, run.selection.appHosts, async (host) => {
    const role = run.selection.rolesOn(host)[0];
    return role === undefined ? [] : [await run.capture(host, appCommands.currentRunningVersion(run.config, role))];
  });
}

// stale_containers ------------------------------------------------------------------------------

/** Running containers of a role other than its current one; with `stop`, stops them (under the lock). */
export async function staleContainers(run: Run, { stop }: { stop: boolean }): Promise<void> {
  const work = async (): Promise<void> => {
    await run.on(run.selection.appHosts, async (host) => {
      const roles = run.selection.rolesOn(host);
      const results = await run.batch(
        host,
        roles.flatMap((role) => [
          { command: appCommands.listVersions(run.config, role), allowFailure: true, label: `${role.name} versions` },
          { command: appCommands.currentRunningVersion(run.config, role), allowFailure: true, label: `${role.name} current` },
        ]),
      );
      const stops: BatchStep[] = [];
      roles.forEach((role, index) => {
        const versions = results[index * 2]?.stdout.split("\n") ?? [];
        const current = results[index * 2 + 1]?.stdout.trim();
        for (const version of appCommands.staleVersions(versions, current)) {
          if (stop) {
            run.output.putsByHost(host, `Stopping stale container for role ${role.name} with version ${version}`);
            stops.push({ command: appCommands.stop(run.config, role, { version }), allowFailure: true, label: "stop stale" });
          } else {
            run.output.putsByHost(host, `Detected stale container for role ${role.name} with version ${version} (use \`berth app stale_containers --stop\` to stop)`);
          }
        }
      });
      if (stops.length > 0) await run.batch(host, stops);
    });
  };
  if (stop) await withLock(run, work);
  else await work();
}

// live, maintenance ---------------------------------------------------------------------------

/** `kamal-proxy resume` for every proxied role. */
export async function liveApp(run: Run): Promise<void> {
  await proxyCommandsUnderLock(run, (role) => appCommands.proxy.live(run.config, role));
}

/** `kamal-proxy stop` (503 with the message) for every proxied role, after draining. */
export async function maintenanceApp(run: Run, options: { drainTimeout?: number | undefined; message?: string | undefined }): Promise<void> {
  const drainTimeout = options.drainTimeout ?? run.config.drainTimeout;
  if (!Number.isFinite(drainTimeout) || drainTimeout < 0) throw new BerthError(`--drain-timeout must be a number of seconds, got ${drainTimeout}`, "ArgumentError");
  await proxyCommandsUnderLock(run, (role) =>
    appCommands.proxy.maintenance(run.config, role, { drainTimeout, ...(options.message === undefined ? {} : { message: options.message }) }),
  );
}

async function proxyCommandsUnderLock(run: Run, command: (role: Role) => Cmd): Promise<void> {
  await withLock(run, async () => {
    await run.on(run.selection.proxyHosts, async (host) => {
      const steps = run.selection.rolesOn(host).filter((role) => role.runningProxy).map(command);
      if (steps.length > 0) await run.batch(host, steps);
    });
  });
}

// remove ---------------------------------------------------------------------------------------

async function removeContainersSteps(run: Run, roles: readonly Role[]): Promise<BatchStep[]> {
  const steps: BatchStep[] = [];
  for (const role of roles) {
    steps.push({ command: await audit(run, "Removed all app containers", role), label: "audit" });
    steps.push({ command: appCommands.removeContainers(run.config, role), label: "remove containers" });
  }
  return steps;
}

async function removeImagesSteps(run: Run): Promise<BatchStep[]> {
  return [
    { command: await audit(run, "Removed all app images"), label: "audit" },
    { command: appCommands.removeImages(run.config), label: "remove images" },
  ];
}

async function removeDirectoriesSteps(run: Run, roles: readonly Role[]): Promise<BatchStep[]> {
  const line = `Removed ${run.config.appDirectory}`;
  const steps: BatchStep[] = [];
  for (const role of roles) {
    steps.push({ command: await audit(run, line, role), label: "audit" });
    steps.push({ command: serverCommands.removeAppDirectory(run.config), allowFailure: true, label: "remove app directory" });
  }
  steps.push({ command: await audit(run, line), label: "audit" });
  steps.push({ command: appCommands.proxy.removeProxyAppDirectory(run.config), allowFailure: true, label: "remove proxy app directory" });
  return steps;
}

/** `app remove`: stop, then remove containers, images and app directories; one round trip per host. */
export async function removeApp(run: Run): Promise<void> {
  await withLock(run, async () => {
    await run.on(run.selection.appHosts, async (host) => {
      const roles = run.selection.rolesOn(host);
      const stops = (await Promise.all(roles.map((role) => stopSteps(run, role)))).flat();
      await run.batch(host, [...stops, ...(await removeContainersSteps(run, roles)), ...(await removeImagesSteps(run)), ...(await removeDirectoriesSteps(run, roles))]);
    });
  });
}

export async function removeAppContainer(run: Run, version: string): Promise<void> {
  if (version.trim() === "") throw new BerthError("remove_container needs a VERSION", "ArgumentError");
  await appStepsUnderLock(run, async (_host, roles) => {
    const steps: BatchStep[] = [];
    for (const role of roles) {
      steps.push({ command: await audit(run, `Removed app container with version ${version}`, role), label: "audit" });
      steps.push({ command: appCommands.removeContainer(run.config, role, version), label: "remove container" });
    }
    return steps;
  });
}

export async function removeAppContainers(run: Run): Promise<void> {
  await appStepsUnderLock(run, (_host, roles) => removeContainersSteps(run, roles));
}

export async function removeAppImages(run: Run): Promise<void> {
  await appStepsUnderLock(run, () => removeImagesSteps(run));
}

export async function removeAppDirectories(run: Run): Promise<void> {
  await appStepsUnderLock(run, (_host, roles) => removeDirectoriesSteps(run, roles));
}

async function appStepsUnderLock(run: Run, steps: (host: string, roles: Role[]) => Promise<BatchStep[]>): Promise<void> {
  await withLock(run, async () => {
    await run.on(run.selection.appHosts, async (host) => {
      const batch = await steps(host, run.selection.rolesOn(host));
      if (batch.length > 0) await run.batch(host, batch);
    });
  });
}

// `rollback VERSION` (Kamal's cli/main.rb#rollback), all-or-nothing: the containers being left
// keep running until every host and role serves VERSION; if any fails, the hosts that switched
// go back to them (put-back.ts) and the report names what failed and what went back. (Kamal
// stops each host's old container as soon as that host switched, so a failure leaves the fleet on
// two versions.)
import { app as appCommands } from "../commands/index.js";
import { BerthError } from "../util/errors.js";
import { bootApp, type DeferredSteps } from "./app-boot.js";
import { timed } from "./finish.js";
import { runHook } from "./hooks.js";
import { serveImagesTo } from "./image-delivery.js";
import { withLock } from "./lock.js";
import { failureReport, putBack, type Progress } from "./put-back.js";
import type { Run } from "./run.js";

/**
 * `rollback VERSION`: `run` must be for that version (its configuration's version is VERSION).
 * Checks that the version's container exists for every role on every host first, and names the
 * versions that do exist when it doesn't.
 */
export async function rollback(run: Run, version: string): Promise<void> {
  let rolledBack = false;
  await timed(run, async () => {
    for (const host of run.selection.appHosts) run.services.dockerApi.openOn(host);
    await withLock(run, async () => {
      await serveImagesTo(run, run.selection.appHosts);
      await requireContainers(run, version);
      await runHook(run, "pre-deploy", { secrets: true });
      const progress: Progress = { started: [], failures: [], notSwitched: [], putBack: undefined, completed: false };
      let deferred: DeferredSteps;
      try {
        deferred = await bootApp(run, { version, deferStopOld: true, started: progress.started, failures: progress.failures, allOrNothing: true, notSwitched: progress.notSwitched });
      } catch (error) {
        progress.putBack = await putBack(run, progress.started, { atomic: true });
        for (const line of failureReport(`The rollback to ${version}`, progress.failures, progress.putBack, progress.notSwitched)) run.output.error(line);
        throw error;
      }
      // Every host serves VERSION: the containers it replaced are stopped now.
      await run.on(run.selection.appHosts, async (host) => {
        const steps = deferred.get(host) ?? [];
        if (steps.length > 0) await run.batch(host, steps, { level: "debug" });
      });
      rolledBack = true;
    });
  });
  if (rolledBack) await runHook(run, "post-deploy", { secrets: true, runtime: Math.round(run.elapsedSeconds) });
}

async function requireContainers(run: Run, version: string): Promise<void> {
  const config = run.config;
  const missingOn = new Map<string, string[]>();
  const available = new Map<string, string[]>();
  await run.on(run.selection.appHosts, async (host) => {
    const roles = run.selection.rolesOn(host);
    const steps = roles.flatMap((role) => [
      { command: appCommands.containerIdForVersion(config, role, version), allowFailure: true },
      { command: appCommands.listContainerNames(config, role), allowFailure: true },
    ]);
    const results = await run.batch(host, steps);
    const perRole = roles.map((role, index) => {
      if ((results[index * 2]?.stdout.trim() ?? "") === "") missingOn.set(host, [...(missingOn.get(host) ?? []), `${role.name} on ${host}`]);
      const prefix = `${role.containerPrefix}-`;
      return (results[index * 2 + 1]?.stdout ?? "")
        .split("\n")
        .map((name) => name.trim())
        .filter((name) => name.startsWith(prefix) && !name.includes("_replaced_"))
        .map((name) => name.slice(prefix.length));
    });
    // Versions every role of the host can go back to, newest first (docker lists newest first).
    available.set(host, (perRole[0] ?? []).filter((item) => perRole.every((versions) => versions.includes(item))));
  });
  const missing = run.selection.appHosts.flatMap((host) => missingOn.get(host) ?? []);
  if (missing.length === 0) return;
  throw new BerthError(
    `The app version '${version}' is not available as a container (missing for ${missing.join(", ")}), so nothing was changed. ` +
      `${availableVersions(run.selection.appHosts, available)} (see \`berth app containers\`)`,
    "Berth::RollbackError",
  );
}

/** `Versions available, newest first: on A and B: v2, v1; on C: v1`, hosts with the same list together. */
function availableVersions(hosts: readonly string[], available: ReadonlyMap<string, readonly string[]>): string {
  const groups = new Map<string, string[]>();
  for (const host of hosts) {
    const versions = (available.get(host) ?? []).join(", ") || "none";
    groups.set(versions, [...(groups.get(versions) ?? []), host]);
  }
  if (groups.size === 1 && groups.has("none")) return "No versions are available as containers";
  const parts = [...groups].map(([versions, on]) => `on ${on.join(" and ")}: ${versions}`);
  return `Versions available, newest first: ${parts.join("; ")}`;
}

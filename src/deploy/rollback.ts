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
      const progress: Progress = { started: [], failures: [], putBack: undefined, completed: false };
      let deferred: DeferredSteps;
      try {
        deferred = await bootApp(run, { version, deferStopOld: true, started: progress.started, failures: progress.failures });
      } catch (error) {
        progress.putBack = await putBack(run, progress.started, { atomic: true });
        for (const line of failureReport(`The rollback to ${version}`, progress.failures, progress.putBack)) run.output.error(line);
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

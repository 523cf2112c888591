// `prune all|images|containers` (Kamal's cli/prune.rb): stopped app containers beyond the newest
// `retain_containers`, dangling app images, and tagged app images no container uses.
import { auditor, prune as pruneCommands } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import { BerthError } from "../util/errors.js";
import type { PrunePlan } from "./host-state.js";
import { withLock } from "./lock.js";
import type { Run } from "./run.js";

export async function pruneContainerSteps(run: Run, retain: number = run.config.retainContainers): Promise<BatchStep[]> {
  if (!Number.isInteger(retain) || retain < 1) throw new BerthError(`retain must be at least 1, got ${retain}`, "ArgumentError");
  return [
    { command: auditor.record(run.config, await run.tags(), "Pruned containers"), label: "audit" },
    { command: pruneCommands.appContainers(run.config, retain), label: "prune containers" },
  ];
}

export async function pruneImageSteps(run: Run): Promise<BatchStep[]> {
  return [
    { command: auditor.record(run.config, await run.tags(), "Pruned images"), label: "audit" },
    { command: pruneCommands.danglingImages(run.config), label: "prune dangling images" },
    { command: pruneCommands.taggedImages(run.config), label: "prune tagged images" },
  ];
}

/**
 * A deploy's prune of what `plan` names (worked out from the state the deploy read), with Kamal's
 * audit lines. A container or image that is gone or in use by then is left alone, not a failure.
 */
export async function plannedPruneSteps(run: Run, plan: PrunePlan): Promise<BatchStep[]> {
  const tags = await run.tags();
  // The removals first, then both audit lines: where the removals go by the Docker API, the audit
  // lines make one round trip.
  return [
    ...(plan.containers.length > 0
      ? [{ command: pruneCommands.removeContainers(plan.containers), allowFailure: true, label: "prune containers" }]
      : []),
    ...(plan.images.length > 0 ? [{ command: pruneCommands.removeImages(plan.images), allowFailure: true, label: "prune images" }] : []),
    { command: auditor.record(run.config, tags, "Pruned containers"), label: "audit" },
    { command: auditor.record(run.config, tags, "Pruned images"), label: "audit" },
  ];
}

export async function pruneSteps(run: Run, what: "all" | "images" | "containers", retain?: number): Promise<BatchStep[]> {
  if (what === "images") return pruneImageSteps(run);
  if (what === "containers") return pruneContainerSteps(run, retain);
  return [...(await pruneContainerSteps(run, retain)), ...(await pruneImageSteps(run))];
}

export async function prune(run: Run, what: "all" | "images" | "containers", retain?: number): Promise<void> {
  const steps = await pruneSteps(run, what, retain);
  await withLock(run, async () => {
    await run.on(run.selection.hosts, (host) => run.batch(host, steps));
  });
}

// Removing one accessory from its hosts, everything of it, in one round trip per host.
import { accessory as accessoryCommands } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import type { Accessory } from "../config/index.js";
import { removeContainerSteps, removeImageSteps, stopSteps } from "./accessory-steps.js";
import { withLock } from "./lock.js";
import type { Run } from "./run.js";
import { accessoryHosts } from "./scope.js";

/**
 * Everything of one accessory on its hosts (also used by `berth remove`). Beyond Kamal, the env
 * file (it holds secrets) and the named volumes of `volumes` go too, so nothing is left behind;
 * a volume another container still uses stays (its removal fails harmlessly).
 */
export async function removeAccessory(run: Run, accessory: Accessory): Promise<void> {
  const steps: BatchStep[] = [
    ...(await stopSteps(run, accessory)),
    ...(await removeContainerSteps(run, accessory)),
    ...(await removeImageSteps(run, accessory)),
    { command: accessoryCommands.removeServiceDirectory(accessory), label: "remove service directory" },
    { command: accessoryCommands.removeEnvFile(accessory), label: "remove env file" },
    ...namedVolumes(accessory).map((volume) => ({ command: accessoryCommands.removeVolume(volume), allowFailure: true, label: "remove volume" })),
  ];
  await withLock(run, () => run.on(accessoryHosts(run, accessory), (host) => run.batch(host, steps)));
}

/** Docker volumes by name in `volumes` (`name:/path`), not host paths. */
export function namedVolumes(accessory: Accessory): string[] {
  const declared = Array.isArray(accessory.raw.volumes) ? accessory.raw.volumes.map(String) : [];
  return declared.map((volume) => volume.split(":")[0] ?? "").filter((name) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name));
}

// `accessory boot|reboot|start|stop|restart|details|remove|upgrade|upload|directories|…` (Kamal's
// cli/accessory.rb), for one accessory or `all`. Everything that changes a host runs under the
// deploy lock. Booting one accessory is accessory-boot.ts, removing one accessory-remove.ts, the
// steps they share accessory-steps.ts.
import { accessory as accessoryCommands } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import type { Accessory } from "../config/index.js";
import { bootAccessory, deployToProxy } from "./accessory-boot.js";
import { directorySteps, prepareFiles, uploadFiles } from "./accessory-files.js";
import { removeAccessory } from "./accessory-remove.js";
import {
  audit,
  checkNetwork,
  narrowed,
  prepareSteps,
  pullSteps,
  removeContainerSteps,
  removeImageSteps,
  serveAccessoryImage,
  stopSteps,
} from "./accessory-steps.js";
import { confirm } from "./confirm.js";
import { withLock } from "./lock.js";
import type { Run } from "./run.js";
import { accessoriesNamed, accessoryHosts, allAccessoryHosts } from "./scope.js";

// boot ------------------------------------------------------------------------------------

/** `accessory boot NAME|all`; `setup` boots `all`. Hosts that already have a container are skipped. */
export async function bootAccessories(run: Run, name: string): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) await bootAccessory(run, accessory, { prepare: true });
  });
}

// upload, directories ------------------------------------------------------------------------

export async function uploadAccessoryFiles(run: Run, name: string): Promise<void> {
  await withLock(run, async () => {
    for (const accessory of accessoriesNamed(run, name)) {
      const files = await prepareFiles(run, accessory);
      await run.on(accessoryHosts(run, accessory), (host) => uploadFiles(run, host, files));
    }
  });
}

export async function createAccessoryDirectories(run: Run, name: string): Promise<void> {
  await withLock(run, async () => {
    for (const accessory of accessoriesNamed(run, name)) {
      const steps = directorySteps(accessory);
      if (steps.length > 0) await run.on(accessoryHosts(run, accessory), (host) => run.batch(host, steps));
    }
  });
}

// reboot, start, stop, restart ----------------------------------------------------------------

/** `accessory reboot`: pull, stop, remove the container, boot again; one round trip before the boot. */
export async function rebootAccessories(run: Run, name: string, within?: readonly string[]): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const steps = [...prepareSteps(run, accessory), ...(await pullSteps(run, accessory)), ...(await stopSteps(run, accessory)), ...(await removeContainerSteps(run, accessory))];
      await serveAccessoryImage(run, accessory, narrowed(accessoryHosts(run, accessory), within));
      await run.on(narrowed(accessoryHosts(run, accessory), within), async (host) => checkNetwork(host, steps, await run.batch(host, steps)));
      await bootAccessory(run, accessory, { prepare: false, ...(within === undefined ? {} : { within }) });
    }
  });
}

export async function startAccessories(run: Run, name: string): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const line = await audit(run, `Started ${accessory.name} accessory`);
      await run.on(accessoryHosts(run, accessory), async (host) => {
        const steps: BatchStep[] = [
          { command: line, label: "audit" },
          { command: accessoryCommands.start(accessory), label: "start" },
          ...(accessory.runningProxy ? [{ command: accessoryCommands.containerId(accessory), label: "container id" }] : []),
        ];
        const results = await run.batch(host, steps);
        if (accessory.runningProxy) await deployToProxy(run, host, accessory, results.at(-1)?.stdout.trim() ?? "");
      });
    }
  });
}

export async function stopAccessories(run: Run, name: string): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const steps = await stopSteps(run, accessory);
      await run.on(accessoryHosts(run, accessory), (host) => run.batch(host, steps));
    }
  });
}

export async function restartAccessories(run: Run, name: string): Promise<void> {
  await withLock(run, async () => {
    await stopAccessories(run, name);
    await startAccessories(run, name);
  });
}

// details ------------------------------------------------------------------------------------

/** `docker ps` of each accessory per host, under `Accessory <name> Host: <host>`. */
export async function showAccessoryDetails(run: Run, name: string): Promise<void> {
  for (const accessory of accessoriesNamed(run, name)) {
    const outputs = await run.on(accessoryHosts(run, accessory), async (host) => ({
      host,
      text: await run.capture(host, accessoryCommands.info(accessory)),
    }));
    for (const { host, text } of outputs) run.output.putsByHost(host, text, { type: `Accessory ${accessory.name}` });
  }
}

// pull_image, remove ----------------------------------------------------------------------------

export async function pullAccessoryImages(run: Run, name: string): Promise<void> {
  await accessoryStepsUnderLock(run, name, async (accessory) => {
    await serveAccessoryImage(run, accessory, accessoryHosts(run, accessory));
    return pullSteps(run, accessory);
  });
}

export async function removeAccessoryContainers(run: Run, name: string): Promise<void> {
  await accessoryStepsUnderLock(run, name, (accessory) => removeContainerSteps(run, accessory));
}

export async function removeAccessoryImages(run: Run, name: string): Promise<void> {
  await accessoryStepsUnderLock(run, name, (accessory) => removeImageSteps(run, accessory));
}

export async function removeAccessoryServiceDirectories(run: Run, name: string): Promise<void> {
  await accessoryStepsUnderLock(run, name, async (accessory) => [
    { command: accessoryCommands.removeServiceDirectory(accessory), label: "remove service directory" },
  ]);
}

async function accessoryStepsUnderLock(run: Run, name: string, steps: (accessory: Accessory) => Promise<BatchStep[]>): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const batch = await steps(accessory);
      await run.on(accessoryHosts(run, accessory), (host) => run.batch(host, batch));
    }
  });
}

/**
 * `accessory remove NAME|all [-y]`: stop, remove the container, the image and the service
 * directory (uploaded files and data directories), in one round trip per host. Callers that
 * already asked (`berth remove`) leave out `confirmed`.
 */
export async function removeAccessories(run: Run, name: string, { confirmed = true }: { confirmed?: boolean } = {}): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  const question = `This will remove all containers, images and data directories for ${name}. Are you sure?`;
  if (!(await confirm(run, question, confirmed))) return;
  await withLock(run, async () => {
    for (const accessory of accessories) await removeAccessory(run, accessory);
  });
}

// upgrade ------------------------------------------------------------------------------------

/** `accessory upgrade NAME|all [--rolling] [-y]`: reboots them so they join the `kamal` network (Kamal 1 → 2). */
export async function upgradeAccessories(run: Run, name: string, { rolling, confirmed }: { rolling: boolean; confirmed: boolean }): Promise<void> {
  accessoriesNamed(run, name);
  if (!(await confirm(run, "This will restart all accessories", confirmed))) return;
  await withLock(run, async () => {
    const hosts = allAccessoryHosts(run);
    const groups = rolling ? hosts.map((host) => [host]) : [hosts];
    for (const group of groups) {
      const list = group.join(",");
      run.say(`Upgrading ${name} accessories on ${list}...`);
      await rebootAccessories(run, name, group);
      run.say(`Upgraded ${name} accessories on ${list}...`);
    }
  });
}

// `remove` (Kamal's cli/main.rb#remove): the app's containers, images and directories, then the
// proxy where no other app is installed (container, image, `.kamal/proxy`, and the `kamal`
// network, which Kamal leaves behind), the accessories, and the registry session on the hosts.
import { app as appCommands, auditor, docker as dockerCommands, proxy as proxyCommands, registry as registryCommands, server as serverCommands } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import { removeAccessories } from "./accessory.js";
import { confirm } from "./confirm.js";
import { withLock } from "./lock.js";
import type { Run } from "./run.js";

const APP_COUNT_LABEL = "count apps";

/** Every step that removes the app from a host (its roles there), ending with a count of the apps left. */
export async function appRemovalSteps(run: Run, host: string): Promise<BatchStep[]> {
  const config = run.config;
  const tags = await run.tags();
  const steps: BatchStep[] = [];
  for (const role of run.selection.rolesOn(host)) {
    steps.push({ command: auditor.record(config, tags, "Stopped app", { role: role.name }), label: "audit" });
    if (role.runningProxy) steps.push({ command: appCommands.proxy.remove(config, role), allowFailure: true, label: "proxy remove service" });
    // Every running container of the role, not only the current one: nothing may be left behind.
    steps.push({ command: appCommands.stopAll(config, role), allowFailure: true, label: "stop" });
    steps.push({ command: auditor.record(config, tags, "Removed all app containers", { role: role.name }), label: "audit" });
    steps.push({ command: appCommands.removeContainers(config, role), label: "remove containers" });
  }
  steps.push({ command: auditor.record(config, tags, "Removed all app images"), label: "audit" });
  steps.push({ command: appCommands.removeImages(config), label: "remove images" });
  steps.push({ command: auditor.record(config, tags, `Removed ${config.appDirectory}`), label: "audit" });
  steps.push({ command: serverCommands.removeAppDirectory(config), allowFailure: true, label: "remove app directory" });
  steps.push({ command: appCommands.proxy.removeProxyAppDirectory(config), allowFailure: true, label: "remove proxy app directory" });
  steps.push({ command: serverCommands.remainingAppCount(config), allowFailure: true, label: APP_COUNT_LABEL });
  return steps;
}

/** `remove [-y]` */
export async function removeAll(run: Run, { confirmed }: { confirmed: boolean }): Promise<void> {
  if (!(await confirm(run, "This will remove all containers and images. Are you sure?", confirmed))) return;
  await withLock(run, async () => {
    const config = run.config;
    const hosts = run.selection.hosts;
    run.say("Removing the app...");
    const appsLeft = new Map<string, number>();
    await run.on(hosts, async (host) => {
      const steps = await appRemovalSteps(run, host);
      const results = await run.batch(host, steps);
      const count = results.find((result) => steps[result.index]?.label === APP_COUNT_LABEL);
      appsLeft.set(host, Number(count?.stdout.trim() ?? "0") || 0);
    });

    await removeAllAccessories(run);

    run.say("Removing the proxy where no other app is installed, and logging out of the registry...");
    const tags = await run.tags();
    await run.on(hosts, async (host) => {
      const steps: BatchStep[] = [];
      if ((appsLeft.get(host) ?? 0) === 0) {
        steps.push(
          { command: auditor.record(config, tags, "Removed proxy container"), label: "audit" },
          { command: proxyCommands.stop(), allowFailure: true, label: "proxy stop" },
          { command: proxyCommands.removeContainer(), label: "proxy remove container" },
          { command: auditor.record(config, tags, "Removed proxy image"), label: "audit" },
          { command: proxyCommands.removeImage(), label: "proxy remove image" },
          { command: proxyCommands.removeProxyDirectory(config), allowFailure: true, label: "proxy remove directory" },
          { command: dockerCommands.removeNetwork(), allowFailure: true, label: "network remove" },
        );
      } else if (config.proxyHosts.includes(host)) {
        run.say(`Not removing the proxy on ${host}, as other applications are installed there`, "yellow");
      }
      if (!config.registry.local) steps.push({ command: registryCommands.logout(config.registry), allowFailure: true, label: "registry logout" });
      if (steps.length > 0) await run.batch(host, steps);
    });
  });
}

/** `accessory remove all -y` (accessory.ts). */
async function removeAllAccessories(run: Run): Promise<void> {
  if (run.config.accessories.length > 0) await removeAccessories(run, "all", { confirmed: true });
}

// The batch steps the `accessory …` commands share (login and network, audit lines, stop,
// remove, pull), and the checks on their results.
import { accessory as accessoryCommands, auditor, docker as dockerCommands, type Cmd } from "../commands/index.js";
import type { BatchStep, BatchStepResult } from "../commands/batch.js";
import type { Accessory } from "../config/index.js";
import { BerthError } from "../util/errors.js";
import { localRegistryImage, prepareImage, serveImagesTo } from "./image-delivery.js";
import type { Run } from "./run.js";
import { loginCommand } from "./scope.js";

/** Registry login (the accessory's registry, else the app's) and the `kamal` network. */
export function prepareSteps(run: Run, accessory: Accessory): BatchStep[] {
  const login = loginCommand(accessory.registry ?? run.config.registry);
  return [
    ...(login === null ? [] : [{ command: login, label: "registry login" }]),
    { command: dockerCommands.createNetwork(), allowFailure: true, label: "network create" },
  ];
}

/** Kamal ignores only "already exists" when creating the network. */
export function checkNetwork(host: string, steps: readonly BatchStep[], results: readonly BatchStepResult[]): void {
  const index = steps.findIndex((step) => step.label === "network create");
  const result = results.find((item) => item.index === index);
  if (result === undefined || !result.ran || result.code === 0) return;
  const output = `${result.stderr}\n${result.stdout}`;
  if (!dockerCommands.isNetworkExistsError(output)) {
    throw new BerthError(`Could not create the kamal network on ${host}: ${output.trim()}`);
  }
}

/** An accessory image under a `localhost:PORT/` registry is served from this machine: the hosts' forwards opened, the image checked here. */
export async function serveAccessoryImage(run: Run, accessory: Accessory, hosts: readonly string[]): Promise<void> {
  if (localRegistryImage(accessory.image) === undefined) return;
  await serveImagesTo(run, hosts);
  await prepareImage(run, accessory.image);
}

/** The command that writes `line` to the audit log, with the run's tags. */
export async function audit(run: Run, line: string): Promise<Cmd> {
  return auditor.record(run.config, await run.tags(), line);
}

/** Steps that stop the container and take it out of the proxy. */
export async function stopSteps(run: Run, accessory: Accessory): Promise<BatchStep[]> {
  return [
    { command: await audit(run, `Stopped ${accessory.name} accessory`), label: "audit" },
    { command: accessoryCommands.stop(accessory), allowFailure: true, label: "stop" },
    // Kamal removes the proxy route after every stop (its guard on the target is always true).
    ...(accessory.runningProxy ? [{ command: accessoryCommands.remove(accessory), allowFailure: true, label: "proxy remove" }] : []),
  ];
}

export async function removeContainerSteps(run: Run, accessory: Accessory): Promise<BatchStep[]> {
  return [
    { command: await audit(run, `Remove ${accessory.name} accessory container`), label: "audit" },
    { command: accessoryCommands.removeContainer(accessory), label: "remove container" },
  ];
}

export async function pullSteps(run: Run, accessory: Accessory): Promise<BatchStep[]> {
  return [
    { command: await audit(run, `Pull ${accessory.name} accessory image`), label: "audit" },
    { command: accessoryCommands.pullImage(accessory), label: "pull image" },
  ];
}

export async function removeImageSteps(run: Run, accessory: Accessory): Promise<BatchStep[]> {
  return [
    { command: await audit(run, `Removed ${accessory.name} accessory image`), label: "audit" },
    { command: accessoryCommands.removeImage(accessory), label: "remove image" },
  ];
}

/** Hosts limited to `within` when given (Kamal's `with_specific_hosts`, for rolling upgrades). */
export function narrowed(hosts: readonly string[], within: readonly string[] | undefined): string[] {
  return within === undefined ? [...hosts] : hosts.filter((host) => within.includes(host));
}

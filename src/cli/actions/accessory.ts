// `berth accessory …` (Kamal's cli/accessory.rb): thin, the work is in src/deploy/accessory*.ts.
// NAME is an accessory name or `all` where Kamal allows it.

import type * as AccessoryModule from "../../deploy/accessory.js";
import type { Run } from "../../deploy/run.js";
import type { CommandContext } from "../../core/context.js";
import type { LogsOptions } from "./app.js";
import type { NoOptions } from "./no-options.js";
import type { ConfirmedOptions, UpgradeOptions } from "./main.js";

export interface AccessoryExecOptions {
  readonly interactive: boolean;
  readonly reuse: boolean;
  readonly raw: boolean;
}

export type AccessoryLogsOptions = LogsOptions;

export async function boot(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.bootAccessories(run, name));
}

export async function upload(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.uploadAccessoryFiles(run, name));
}

export async function directories(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.createAccessoryDirectories(run, name));
}

export async function reboot(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.rebootAccessories(run, name));
}

export async function start(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.startAccessories(run, name));
}

export async function stop(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.stopAccessories(run, name));
}

export async function restart(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.restartAccessories(run, name));
}

export async function details(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.showAccessoryDetails(run, name));
}

export async function exec(context: CommandContext, name: string, command: readonly string[], options: AccessoryExecOptions): Promise<void> {
  const [{ Run }, { execAccessory }, { checkExecOptions }, { rawContext }] = await Promise.all([
    import("../../deploy/run.js"),
    import("../../deploy/accessory-exec.js"),
    import("../../deploy/app-exec.js"),
    import("../../deploy/raw.js"),
  ]);
  checkExecOptions({ command, ...options, detach: false });
  const run = await Run.create(options.raw ? rawContext(context) : context);
  await execAccessory(run, name, { command, ...options, rawOutput: (chunk) => context.output.raw(chunk) });
}

export async function logs(context: CommandContext, name: string, options: AccessoryLogsOptions): Promise<void> {
  const [{ Run }, { accessoryLogs }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/logs.js")]);
  await accessoryLogs(await Run.create(context), name, options);
}

export async function pullImage(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.pullAccessoryImages(run, name));
}

export async function remove(context: CommandContext, name: string, options: ConfirmedOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.removeAccessories(run, name, { confirmed: options.confirmed }));
}

export async function removeContainer(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.removeAccessoryContainers(run, name));
}

export async function removeImage(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.removeAccessoryImages(run, name));
}

export async function removeServiceDirectory(context: CommandContext, name: string, _options: NoOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.removeAccessoryServiceDirectories(run, name));
}

export async function upgrade(context: CommandContext, name: string, options: UpgradeOptions): Promise<void> {
  await withAccessories(context, (accessories, run) => accessories.upgradeAccessories(run, name, { rolling: options.rolling, confirmed: options.confirmed }));
}

/** Creates the run and hands it to one function of src/deploy/accessory.ts. */
async function withAccessories(context: CommandContext, work: (accessories: typeof AccessoryModule, run: Run) => Promise<void>): Promise<void> {
  const [{ Run }, accessories] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/accessory.js")]);
  await work(accessories, await Run.create(context));
}

// `berth lock …` (Kamal's cli/lock.rb): the deploy lock on the primary host.

import type { CommandContext } from "../../core/context.js";
import type { NoOptions } from "./no-options.js";

export interface LockAcquireOptions {
  readonly message: string;
}

const deploy = async () => ({ ...(await import("../../deploy/run.js")), ...(await import("../../deploy/lock.js")) });

export async function status(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, showLockStatus } = await deploy();
  await showLockStatus(await Run.create(context));
}

export async function acquire(context: CommandContext, options: LockAcquireOptions): Promise<void> {
  const { Run, acquireManualLock } = await deploy();
  await acquireManualLock(await Run.create(context), options.message);
}

export async function release(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, releaseManualLock } = await deploy();
  await releaseManualLock(await Run.create(context));
}

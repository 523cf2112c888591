// `berth lock …`: stubs, filled in by the orchestration (Kamal's cli/lock.rb).

import type { CommandContext } from "../context.js";
import { notImplemented, type NoOptions } from "./not-implemented.js";

export interface LockAcquireOptions {
  readonly message: string;
}

export async function status(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("lock status");
}

export async function acquire(_context: CommandContext, _options: LockAcquireOptions): Promise<void> {
  notImplemented("lock acquire");
}

export async function release(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("lock release");
}

// `berth registry …` (Kamal's cli/registry.rb): thin, the work is in src/deploy/registry.ts.

import type * as RegistryModule from "../../deploy/registry.js";
import type { Run } from "../../deploy/run.js";
import type { CommandContext } from "../../core/context.js";

export interface RegistryOptions {
  /** -L: skip the local login (or local registry). */
  readonly skipLocal: boolean;
  /** -R: skip the remote logins. */
  readonly skipRemote: boolean;
}

export async function setup(context: CommandContext, options: RegistryOptions): Promise<void> {
  await withRegistry(context, (registry, run) => registry.setupRegistry(run, options));
}

export async function remove(context: CommandContext, options: RegistryOptions): Promise<void> {
  await withRegistry(context, (registry, run) => registry.removeRegistry(run, options));
}

export async function login(context: CommandContext, options: RegistryOptions): Promise<void> {
  await withRegistry(context, (registry, run) => registry.loginRegistry(run, options));
}

export async function logout(context: CommandContext, options: RegistryOptions): Promise<void> {
  await withRegistry(context, (registry, run) => registry.logoutRegistry(run, options));
}

async function withRegistry(context: CommandContext, work: (registry: typeof RegistryModule, run: Run) => Promise<void>): Promise<void> {
  const [{ Run }, registry] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/registry.js")]);
  await work(registry, await Run.create(context));
}

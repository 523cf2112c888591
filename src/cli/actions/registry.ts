// `berth registry …`: stubs, filled in by the orchestration (Kamal's cli/registry.rb).

import type { CommandContext } from "../context.js";
import { notImplemented } from "./not-implemented.js";

export interface RegistryOptions {
  /** -L: skip the local login (or local registry). */
  readonly skipLocal: boolean;
  /** -R: skip the remote logins. */
  readonly skipRemote: boolean;
}

export async function setup(_context: CommandContext, _options: RegistryOptions): Promise<void> {
  notImplemented("registry setup");
}

export async function remove(_context: CommandContext, _options: RegistryOptions): Promise<void> {
  notImplemented("registry remove");
}

export async function login(_context: CommandContext, _options: RegistryOptions): Promise<void> {
  notImplemented("registry login");
}

export async function logout(_context: CommandContext, _options: RegistryOptions): Promise<void> {
  notImplemented("registry logout");
}

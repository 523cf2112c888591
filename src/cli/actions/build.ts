// `berth build …`: stubs, filled in by the orchestration (Kamal's cli/build.rb).

import type { CommandContext } from "../context.js";
import { notImplemented, type NoOptions } from "./not-implemented.js";

export interface BuildPushOptions {
  /** buildx's export type (`registry` for push, `docker` for dev). */
  readonly output: string;
  /** False with --no-cache. */
  readonly cache: boolean;
}

export async function deliver(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("build deliver");
}

export async function push(_context: CommandContext, _options: BuildPushOptions): Promise<void> {
  notImplemented("build push");
}

export async function pull(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("build pull");
}

export async function create(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("build create");
}

export async function remove(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("build remove");
}

export async function details(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("build details");
}

export async function dev(_context: CommandContext, _options: BuildPushOptions): Promise<void> {
  notImplemented("build dev");
}

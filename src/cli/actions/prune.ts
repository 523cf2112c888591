// `berth prune …`: stubs, filled in by the orchestration (Kamal's cli/prune.rb).

import type { CommandContext } from "../context.js";
import { notImplemented, type NoOptions } from "./not-implemented.js";

export interface PruneContainersOptions {
  /** --retain N; default the config's retain_containers (5). Must be at least 1. */
  readonly retain: number | undefined;
}

export async function all(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("prune all");
}

export async function images(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("prune images");
}

export async function containers(_context: CommandContext, _options: PruneContainersOptions): Promise<void> {
  notImplemented("prune containers");
}

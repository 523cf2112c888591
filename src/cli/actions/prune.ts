// `berth prune …` (Kamal's cli/prune.rb): thin, the work is in src/deploy/prune.ts.

import type { CommandContext } from "../../core/context.js";
import type { NoOptions } from "./no-options.js";

export interface PruneContainersOptions {
  /** --retain N; default the config's retain_containers (5). Must be at least 1. */
  readonly retain: number | undefined;
}

const orchestration = async () => ({ ...(await import("../../deploy/run.js")), ...(await import("../../deploy/prune.js")) });

export async function all(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, prune } = await orchestration();
  await prune(await Run.create(context), "all");
}

export async function images(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, prune } = await orchestration();
  await prune(await Run.create(context), "images");
}

export async function containers(context: CommandContext, options: PruneContainersOptions): Promise<void> {
  const { Run, prune } = await orchestration();
  await prune(await Run.create(context), "containers", options.retain);
}

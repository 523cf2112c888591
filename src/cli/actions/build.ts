// `berth build …` (Kamal's cli/build.rb): thin, the work is in src/deploy/build.ts, builder.ts and image-pull.ts.

import type { CommandContext } from "../../core/context.js";
import type { NoOptions } from "./no-options.js";

export interface BuildPushOptions {
  /** buildx's export type (`registry` for push, `docker` for dev). */
  readonly output: string;
  /** False with --no-cache. */
  readonly cache: boolean;
}

const orchestration = async () => ({
  ...(await import("../../deploy/run.js")),
  ...(await import("../../deploy/build.js")),
  ...(await import("../../deploy/builder.js")),
  ...(await import("../../deploy/image-pull.js")),
});

export async function deliver(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, deliver: run } = await orchestration();
  await run(await Run.create(context));
}

export async function push(context: CommandContext, options: BuildPushOptions): Promise<void> {
  const { Run, buildAndPush } = await orchestration();
  await buildAndPush(await Run.create(context), { noCache: !options.cache });
}

export async function pull(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, pullOnHosts } = await orchestration();
  await pullOnHosts(await Run.create(context));
}

export async function create(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, createBuilder } = await orchestration();
  await createBuilder(await Run.create(context));
}

export async function remove(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, removeBuilder } = await orchestration();
  await removeBuilder(await Run.create(context));
}

export async function details(context: CommandContext, _options: NoOptions): Promise<void> {
  const { Run, builderDetails } = await orchestration();
  await builderDetails(await Run.create(context));
}

export async function dev(context: CommandContext, options: BuildPushOptions): Promise<void> {
  const { Run, buildDev } = await orchestration();
  await buildDev(await Run.create(context), { noCache: !options.cache, exportType: options.output });
}

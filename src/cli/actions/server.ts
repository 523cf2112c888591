// `berth server …`: stubs, filled in by the orchestration (Kamal's cli/server.rb).

import type { CommandContext } from "../context.js";
import { notImplemented, type NoOptions } from "./not-implemented.js";

export interface ServerExecOptions {
  readonly interactive: boolean;
  readonly raw: boolean;
}

export async function exec(_context: CommandContext, _command: readonly string[], _options: ServerExecOptions): Promise<void> {
  notImplemented("server exec");
}

export async function bootstrap(context: CommandContext, _options: NoOptions): Promise<void> {
  const [{ Run }, { bootstrapServers }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/server.js")]);
  await bootstrapServers(await Run.create(context));
}

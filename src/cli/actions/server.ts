// `berth server …`: stubs, filled in by the orchestration (Kamal's cli/server.rb).

import type { CommandContext } from "../../core/context.js";
import type { NoOptions } from "./no-options.js";

export interface ServerExecOptions {
  readonly interactive: boolean;
  readonly raw: boolean;
}

export async function exec(context: CommandContext, command: readonly string[], options: ServerExecOptions): Promise<void> {
  const [{ Run }, { execOnServers }, { checkExecOptions }, { rawContext }] = await Promise.all([
    import("../../deploy/run.js"),
    import("../../deploy/server-exec.js"),
    import("../../deploy/app-exec.js"),
    import("../../deploy/raw.js"),
  ]);
  checkExecOptions({ command, ...options, reuse: false, detach: false });
  const run = await Run.create(options.raw ? rawContext(context) : context);
  await execOnServers(run, { command, ...options, rawOutput: (chunk) => context.output.raw(chunk) });
}

export async function bootstrap(context: CommandContext, _options: NoOptions): Promise<void> {
  const [{ Run }, { bootstrapServers }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/server.js")]);
  await bootstrapServers(await Run.create(context));
}

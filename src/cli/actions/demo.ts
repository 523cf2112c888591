// `berth demo [--down]`: see src/cli/tree/demo.ts for what it does and src/demo/ for how.

import { delimiter } from "node:path";
import { BerthError } from "../../util/errors.js";
import type { CommandContext } from "../../core/context.js";

export interface DemoOptions {
  readonly down: boolean;
}

const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

export async function demo(context: CommandContext, options: DemoOptions): Promise<void> {
  const { checkDemoRequirements } = await import("../../demo/requirements.js");
  checkDemoRequirements(context.env, process.getuid?.(), { checkPackages: !options.down });
  // The test servers' daemons (sshd, dockerd) live in sbin, which a sudo or cron PATH may lack.
  const path = (process.env.PATH ?? "").split(delimiter);
  process.env.PATH = [...path, ...SBIN.filter((dir) => !path.includes(dir))].filter((dir) => dir !== "").join(delimiter);

  try {
    await run(context, options);
  } catch (error) {
    // The test bed's own failures (a lock held too long, a daemon that won't start) are the
    // user's to act on: its message names what and where, a stack trace would only hide it.
    if (error instanceof Error && error.message.startsWith("test bed: ")) throw new BerthError(`berth demo: ${error.message.slice(10)}`);
    throw error;
  }
}

async function run(context: CommandContext, options: DemoOptions): Promise<void> {
  if (options.down) {
    const { demoDown } = await import("../../demo/down.js");
    const removed = await demoDown(context.output);
    const text = removed.length === 0 ? "Nothing to remove: no demo is running." : ["Removed:", ...removed.map((item) => `  ${item}`)].join("\n");
    context.output.data(text, { removed });
    return;
  }
  const [{ demoUp }, { formatSummary, summaryDocument }] = await Promise.all([import("../../demo/up.js"), import("../../demo/summary.js")]);
  const { globals } = context;
  const summary = await demoUp({
    output: context.output,
    env: process.env,
    berthFlags: [...(globals.verbose ? ["-v"] : []), ...(globals.quiet ? ["-q"] : []), ...(globals.output === "json" ? ["--output", "json"] : [])],
    onExit: (handler) => context.onExit(handler),
  });
  context.output.data(formatSummary(summary), summaryDocument(summary));
}

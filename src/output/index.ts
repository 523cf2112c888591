// Entry point of the output layer. `createOutput` picks the rendering from the streams and the
// environment; log-update is only imported when a live view is actually used.

import { colorEnabled } from "./colors.js";
import { createColors } from "./colors.js";
import type { LiveRenderer } from "./live.js";
import { Output } from "./output.js";
import type { OutputFormat, OutputStream, Verbosity } from "./output-options.js";

export { Output } from "./output.js";
export type { OutputFormat, OutputOptions, OutputStream, SayColor, Verbosity } from "./output-options.js";
export { newCommandId } from "./events.js";
export type {
  CommandFinishedEvent,
  CommandOutputEvent,
  CommandStartedEvent,
  ConnectionFailedEvent,
  ConnectionOpenedEvent,
  Level,
  OutputEvents,
} from "./events.js";

export interface CreateOutputOptions {
  readonly stdout: OutputStream & NodeJS.WritableStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly verbosity: Verbosity;
  readonly format: OutputFormat;
}

/** The live view is for people watching a terminal: not in CI, not with -v, not for JSON. */
export function wantsLiveView(options: Omit<CreateOutputOptions, "stderr">): boolean {
  const ci = options.env.CI !== undefined && options.env.CI !== "" && options.env.CI !== "false";
  return (
    options.format === "text" &&
    options.verbosity === "info" &&
    options.stdout.isTTY === true &&
    // A terminal that reports no rows (a pty nobody sized) would show log-update nothing at all.
    options.stdout.rows !== 0 &&
    !ci &&
    options.env.TERM !== "dumb"
  );
}

export async function createOutput(options: CreateOutputOptions): Promise<Output> {
  const color = colorEnabled({ env: options.env, isTTY: options.stdout.isTTY === true });
  const base = { stdout: options.stdout, stderr: options.stderr, verbosity: options.verbosity, format: options.format, color };
  if (!wantsLiveView(options)) return new Output(base);
  const [{ createLogUpdate }, { LiveView }] = await Promise.all([import("log-update"), import("./live.js")]);
  const renderer: LiveRenderer = createLogUpdate(options.stdout);
  const stdout = options.stdout;
  const live = new LiveView({ renderer, colors: createColors(color), width: () => stdout.columns ?? 80 });
  return new Output({ ...base, live });
}

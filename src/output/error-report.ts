// How a failure is named on the CLI's last line: Kamal's error kinds, and whether it is a bug
// (printed with its stack even without -v).
import { BerthError } from "../util/errors.js";

interface ErrorDescription {
  readonly kind: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Not a BerthError: a bug, printed with its stack even without -v. */
  readonly isBug: boolean;
}

/** bin/kamal names a host failure by its cause: `ERROR (SSHKit::Command::Failed): Exception while…`. */
const HOST_FAILURE_KIND = "SSHKit::Runner::ExecuteError";

export function describeError(error: unknown): ErrorDescription {
  if (error instanceof BerthError) {
    const cause = error.kind === HOST_FAILURE_KIND ? error.cause : undefined;
    if (cause instanceof BerthError) return { kind: cause.kind, message: error.message, stack: cause.stack, isBug: false };
    if (cause instanceof Error) return { kind: cause.name, message: error.message, stack: cause.stack, isBug: true };
    return { kind: error.kind, message: error.message, stack: error.stack, isBug: false };
  }
  if (error instanceof Error) {
    return { kind: error.name || error.constructor.name, message: error.message, stack: error.stack, isBug: true };
  }
  return { kind: "Error", message: String(error), stack: undefined, isBug: true };
}

/** The stack without its first line, which repeats the message already printed. */
export function stackFrames(stack: string): string {
  const frames = stack.split("\n").filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? frames.join("\n") : stack;
}

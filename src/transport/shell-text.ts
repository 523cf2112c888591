// How a Cmd reaches a shell. Normally its rendered text is the argument (of `sh -c` locally, or
// the remote command of ssh). A command with Redacted parts would expose them to every local user
// through /proc/*/cmdline, so its text travels on standard input instead, ahead of its own input.
import { hasRedactedParts, render, singleQuote, type Cmd, type Redacted } from "../core/cmd.js";

export interface ShellText {
  /** The shell command line to pass as an argument. */
  text: string;
  stdin?: Buffer;
}

// Reads one base64 line (the command) and runs it; the rest of stdin is the command's own input.
// `read` takes a pipe byte by byte, so it never consumes input meant for the command.
const READ_COMMAND_FROM_STDIN = 'IFS= read -r berth_cmd && eval "$(printf %s "$berth_cmd" | base64 -d)"';
export const HIDDEN_COMMAND = `sh -c ${singleQuote(READ_COMMAND_FROM_STDIN)}`;

export function stdinBytes(stdin: Buffer | Redacted | undefined): Buffer | undefined {
  if (stdin === undefined) return undefined;
  return Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin.value, "utf8");
}

export function shellText(command: Cmd, stdinOverride?: Buffer | Redacted): ShellText {
  const stdin = stdinBytes(stdinOverride ?? command.stdin);
  const rendered = render(command, { redact: false });
  if (!hasRedactedParts(command)) return stdin === undefined ? { text: rendered } : { text: rendered, stdin };
  const header = Buffer.from(`${Buffer.from(rendered, "utf8").toString("base64")}\n`, "latin1");
  return { text: HIDDEN_COMMAND, stdin: stdin === undefined ? header : Buffer.concat([header, stdin]) };
}

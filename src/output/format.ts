// Kamal's line formats (SSHKit's Pretty formatter, Thor's say, Kamal's puts_by_host and bin/kamal
// error line), as pure functions so golden tests can pin them.

import type { Colors } from "./colors.js";
import type { Level } from "./events.js";

const LEVEL_COLOR: Record<Level, keyof Pick<Colors, "gray" | "blue" | "yellow" | "red">> = {
  // SSHKit prints DEBUG in black, which vanishes on dark terminals; gray keeps it readable.
  debug: "gray",
  info: "blue",
  warn: "yellow",
  error: "red",
  fatal: "red",
};

/** `"%6s [%s] %s"`: right-aligned level, then the 8-hex command id when there is one. */
export function formatLine(colors: Colors, level: Level, message: string, id?: string): string {
  const label = colors[LEVEL_COLOR[level]](level.toUpperCase().padStart(6));
  return id === undefined ? `${label} ${message}` : `${label} [${colors.green(id)}] ${message}`;
}

export function runningMessage(colors: Colors, command: string, host: string, user?: string): string {
  const target = user === undefined ? `on ${colors.blue(host)}` : `as ${colors.blue(user)}@${colors.blue(host)}`;
  return `Running ${colors.yellow(colors.bold(command))} ${target}`;
}

export function commandMessage(colors: Colors, command: string): string {
  return `Command: ${colors.blue(command)}`;
}

/** SSHKit's `sprintf('%5.3f seconds')` plus the exit status. */
export function finishedMessage(colors: Colors, seconds: number, exitStatus: number): string {
  const outcome = exitStatus === 0 ? colors.green(colors.bold("successful")) : colors.red(colors.bold("failed"));
  return `Finished in ${formatSeconds(seconds)} seconds with exit status ${exitStatus} (${outcome}).`;
}

export function formatSeconds(seconds: number): string {
  return seconds.toFixed(3).padStart(5);
}

/** A line of command output, shown at DEBUG: a tab, then the line in green (stdout) or red (stderr). */
export function dataMessage(colors: Colors, line: string, stream: "stdout" | "stderr"): string {
  const text = `\t${line}`;
  return stream === "stdout" ? colors.green(text) : colors.red(text);
}

/** `puts_by_host`: `App Host: h`, the output, then a blank line. Quiet drops the heading. */
export function byHostBlock(host: string, output: string, type: string, quiet: boolean): string {
  return `${quiet ? "" : `${type} Host: ${host}\n`}${output}\n\n`;
}

/** bin/kamal's error line: `  ERROR (<kind>): <message>` in red. */
export function errorLine(colors: Colors, kind: string, message: string): string {
  return colors.red(`  ERROR (${kind}): ${message}`);
}

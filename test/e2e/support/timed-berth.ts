// `berth` with every output line stamped with the time it was written, so that a test can tell
// when each step of a command ran on each host (e.g. a host's proxy switch).
import { MemoryStream } from "../../unit/output/streams.js";
import { berth, type BerthResult, type Project } from "./project.js";
import { now } from "./request-loop.js";

export interface StampedLine {
  readonly at: number;
  readonly text: string;
}

class TimedStream extends MemoryStream {
  readonly stamped: StampedLine[] = [];
  private partial = "";

  override write(chunk: string | Uint8Array): boolean {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const at = now();
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.stamped.push({ at, text: line });
    return super.write(chunk);
  }
}

export interface TimedResult extends BerthResult {
  readonly startedAt: number;
  readonly endedAt: number;
  /** stdout's and stderr's lines, in the order written. */
  readonly lines: readonly StampedLine[];
}

export async function timedBerth(project: Project, args: readonly string[], env: Record<string, string> = {}): Promise<TimedResult> {
  const stdout = new TimedStream();
  const stderr = new TimedStream();
  const startedAt = now();
  const result = await berth(project, args, env, { stdout, stderr });
  const endedAt = now();
  const lines = [...stdout.stamped, ...stderr.stamped].sort((a, b) => a.at - b.at);
  return { ...result, startedAt, endedAt, lines };
}

/**
 * When a remote command ran on each host: from the line that starts it (`[id] Running <command…>
 * on <host>`) to the one that ends it (`[id] Finished`), for commands matching `pattern`. A host
 * where it didn't run has no entry.
 */
export function commandWindows(result: TimedResult, pattern: RegExp): Map<string, { start: number; end: number }> {
  const windows = new Map<string, { start: number; end: number }>();
  const started = new Map<string, { host: string; start: number }>();
  for (const line of result.lines) {
    const running = /\[(\w+)\] Running (.*) on (\S+)$/.exec(line.text);
    if (running !== undefined && running !== null && pattern.test(running[2]!)) started.set(running[1]!, { host: running[3]!, start: line.at });
    const finished = /\[(\w+)\] Finished/.exec(line.text);
    const opened = finished === null ? undefined : started.get(finished[1]!);
    if (opened !== undefined) windows.set(opened.host, { start: opened.start, end: line.at });
  }
  return windows;
}

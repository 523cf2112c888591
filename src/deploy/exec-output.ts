// Running a user's command on hosts and showing what it printed: Kamal's
// `puts_by_host host, capture_with_info(cmd)`, or with `--raw` the exact bytes and nothing else.
import type { Cmd } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import type { Run } from "./run.js";

export interface RawRequest {
  /** Write the command's standard output unmodified, for piping. */
  readonly raw: boolean;
  /** Where `--raw` bytes go (the command's real standard output). */
  readonly rawOutput?: (chunk: Buffer) => void;
  /** The command is a line the user typed for the host's own shell (`server exec`). */
  readonly loginShell?: boolean;
}

/** What runs for one unit (a role, an accessory, the host itself): steps first, then the command. */
export interface UnitExec {
  readonly steps: BatchStep[];
  readonly command: Cmd;
}

/**
 * Runs the steps and command of every unit on every host (hosts in parallel, units in order) and
 * prints the output under `<type> Host: <host>`. The steps and the command share one round trip.
 * With --raw the command runs on its own so no byte is re-encoded, and its bytes are written as
 * they arrive when there is a single host and unit, else host by host once all are done.
 */
export async function onEachHost<T>(
  run: Run,
  request: RawRequest & { readonly type?: string },
  hosts: readonly string[],
  unitsOn: (host: string) => readonly T[],
  work: (host: string, unit: T, first: boolean) => Promise<UnitExec>,
): Promise<void> {
  const single = hosts.length === 1 && unitsOn(hosts[0]!).length === 1;
  const outputs = await run.on(hosts, async (host) => {
    const texts: (string | Buffer)[] = [];
    for (const [index, unit] of unitsOn(host).entries()) {
      const { steps, command } = await work(host, unit, index === 0);
      const rounds = roundTrips(steps);
      const last = rounds.pop() ?? [];
      for (const round of rounds) await run.batch(host, round);
      if (!request.raw) {
        const shell = request.loginShell ? { loginShell: true } : {};
        texts.push((await run.batch(host, [...last, { command, label: "exec" }], shell)).at(-1)?.stdout ?? "");
        continue;
      }
      if (last.length > 0) await run.batch(host, last, { level: "debug" });
      let streamed = false;
      const stream = single && request.rawOutput !== undefined ? { onStdoutBytes: (chunk: Buffer) => ((streamed = true), request.rawOutput!(chunk)) } : {};
      const result = await run.exec(host, command, { raw: true, ...stream, ...(request.loginShell ? { loginShell: true } : {}) });
      // A transport that doesn't stream hands the bytes over at the end.
      if (!streamed) texts.push(result.stdoutBytes ?? Buffer.from(result.stdout, "utf8"));
    }
    return { host, texts };
  });
  for (const { host, texts } of outputs) {
    for (const text of texts) {
      if (Buffer.isBuffer(text)) request.rawOutput?.(text);
      else run.output.putsByHost(host, text.trim(), request.type === undefined ? {} : { type: request.type });
    }
  }
}

/** Steps cut into round trips that each carry at most one standard input (a login, an upload). */
export function roundTrips(steps: readonly BatchStep[]): BatchStep[][] {
  const rounds: BatchStep[][] = [];
  let current: BatchStep[] = [];
  for (const step of steps) {
    if (step.command.stdin !== undefined && current.some((item) => item.command.stdin !== undefined)) {
      rounds.push(current);
      current = [];
    }
    current.push(step);
  }
  if (current.length > 0) rounds.push(current);
  return rounds;
}

/** Runs steps in as few round trips as their standard inputs allow. */
export async function batchAll(run: Run, host: string, steps: readonly BatchStep[]): Promise<void> {
  for (const round of roundTrips(steps)) await run.batch(host, round);
}

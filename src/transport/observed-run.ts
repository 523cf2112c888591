// What every transport does around one command: events for the output module, counters, the
// result, and SSHKit's failure on a non-zero exit. Transports only supply how to start it.
import { CommandFailedError } from "./errors.js";
import type { ChildOutcome, ChildRequest } from "./child.js";
import { commandId, type Observers, type StatsCounter } from "./observers.js";
import type { CommandKind, RunOptions, RunResult } from "./types.js";

export type OutputHooks = Pick<ChildRequest, "onStdout" | "onStderr" | "onStdoutBytes" | "keepStdoutBytes" | "timeoutMs">;

export interface ObservedCommand {
  host: string;
  kind: CommandKind;
  /** Redacted text for events and errors. */
  shown: string;
  options: RunOptions;
  /** Starts the process with these output hooks; throws if it cannot (e.g. no connection). */
  start(hooks: OutputHooks): Promise<ChildOutcome>;
  /** The connection's failure behind an exit status, if it was one (ssh's 255). */
  connectionError?(outcome: ChildOutcome): Promise<Error | undefined>;
}

export async function runObserved(observers: Observers, counters: StatsCounter, command: ObservedCommand): Promise<RunResult> {
  const { host, kind, shown, options } = command;
  const id = commandId();
  const started = performance.now();
  observers.emit("commandStarted", { id, host, kind, command: shown });
  const finished = (exitStatus: number, connectionError?: string): void =>
    observers.emit("commandFinished", {
      id,
      host,
      kind,
      command: shown,
      exitStatus,
      durationMs: performance.now() - started,
      ...(connectionError === undefined ? {} : { connectionError }),
    });

  let outcome: ChildOutcome;
  try {
    outcome = await command.start({
      onStdout: (chunk) => {
        options.onStdout?.(chunk);
        observers.emit("commandOutput", { id, host, stream: "stdout", chunk });
      },
      onStderr: (chunk) => {
        options.onStderr?.(chunk);
        observers.emit("commandOutput", { id, host, stream: "stderr", chunk });
      },
      ...(options.onStdoutBytes ? { onStdoutBytes: options.onStdoutBytes } : {}),
      keepStdoutBytes: options.raw === true,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  } catch (error) {
    finished(255, error instanceof Error ? error.message : String(error));
    throw error;
  }
  counters.commandRun(host);
  const lost = outcome.code === 0 ? undefined : await command.connectionError?.(outcome);
  if (lost) {
    finished(outcome.code, lost.message);
    throw lost;
  }
  finished(outcome.code);
  if (outcome.code !== 0 && !options.allowFailure) {
    throw new CommandFailedError(host, shown, outcome.code, outcome.stdout, outcome.stderr);
  }
  return {
    host,
    code: outcome.code,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    ...(outcome.stdoutBytes ? { stdoutBytes: outcome.stdoutBytes } : {}),
    durationMs: outcome.durationMs,
  };
}

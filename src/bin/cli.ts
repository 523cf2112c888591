// The CLI's start for every command but `berth version`: signals, cleanup, the live view, the exit
// code. src/bin/berth.ts (ES module) and the CommonJS bundle the launcher loads both call it.
import { CleanupRegistry, exitOnSignals } from "../cli/cleanup.js";
import { runCli } from "../cli/main.js";

export async function main(args: string[]): Promise<void> {
  const cleanup = new CleanupRegistry();
  const interrupt = new AbortController();
  let stopLiveView: (() => void) | undefined;
  // Ctrl-C: stop a configuration load and the live view, run cleanup (locks, SSH masters), exit 130.
  exitOnSignals(cleanup, process, (signal) => {
    interrupt.abort(signal);
    stopLiveView?.();
  });
  process.exitCode = await runCli(args, undefined, {
    cleanup,
    signal: interrupt.signal,
    onOutput: (output) => (stopLiveView = () => output.close()),
  });
  // Interrupted: nothing left to wait for (the cleanup closed the connections).
  if (cleanup.interruptedBy !== undefined) process.exit();
}

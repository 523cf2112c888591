#!/usr/bin/env node
// The CLI's entry module. Kept tiny: the CLI lives in src/cli/main.ts. The installed executable is
// the launcher (src/bin/launcher.cts), which answers `berth version` itself and imports this
// (bundled) for everything else; `berth version` is answered here too, before anything else loads.

const args = process.argv.slice(2);

if (args.length === 1 && (args[0] === "version" || args[0] === "--version")) {
  const { BERTH_VERSION } = await import("../version.js");
  process.stdout.write(`${BERTH_VERSION}\n`);
} else {
  const [{ CleanupRegistry, exitOnSignals }, { runCli }] = await Promise.all([import("../cli/cleanup.js"), import("../cli/main.js")]);
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

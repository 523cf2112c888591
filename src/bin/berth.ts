#!/usr/bin/env node
// The `berth` executable. Kept tiny: the CLI lives in src/cli/main.ts.

import { CleanupRegistry, exitOnSignals } from "../cli/cleanup.js";
import { runCli } from "../cli/main.js";
import type { Output } from "../output/index.js";

const cleanup = new CleanupRegistry();
let output: Output | undefined;
// Ctrl-C: stop the live view, run cleanup (locks, SSH masters), exit 130.
exitOnSignals(cleanup, process, () => output?.close());

process.exitCode = await runCli(process.argv.slice(2), undefined, {
  cleanup,
  onOutput: (created) => (output = created),
});

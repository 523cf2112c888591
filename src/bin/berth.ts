#!/usr/bin/env node
// The CLI's entry module. Kept tiny: the CLI lives in src/cli/main.ts. The installed executable is
// the launcher (src/bin/launcher.cts), which answers `berth version` itself and imports this
// (bundled) for everything else; `berth version` is answered here too, before anything else loads.

const args = process.argv.slice(2);

if (args.length === 1 && (args[0] === "version" || args[0] === "--version")) {
  const { BERTH_VERSION } = await import("../version.js");
  process.stdout.write(`${BERTH_VERSION}\n`);
} else {
  const { main } = await import("./cli.js");
  await main(args);
}

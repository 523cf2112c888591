#!/usr/bin/env node
// The `berth` executable as installed: scripts/bundle.mjs makes it dist/bundle/berth.js, beside the
// bundled CLI in dist/bundle/lib/. CommonJS on purpose: Node starts a CommonJS file without its ES
// module loader, so `berth version` costs no more than Node's own start; every other command
// loads the CLI's ES modules.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS module imports with require */
import fs = require("node:fs");
import path = require("node:path");
/* eslint-enable @typescript-eslint/no-require-imports */

const args = process.argv.slice(2);

if (args.length === 1 && (args[0] === "version" || args[0] === "--version")) {
  // dist/bundle/berth.js -> the package's package.json (as src/version.ts reads it).
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: unknown };
  process.stdout.write(`${typeof manifest.version === "string" ? manifest.version : "0.0.0"}\n`);
} else {
  // Relative to this file once bundled; a variable, so neither tsc nor esbuild resolve it here.
  const cli = "./lib/berth.js";
  void import(cli);
}

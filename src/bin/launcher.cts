#!/usr/bin/env node
// The `berth` executable as installed: scripts/bundle.mjs makes it dist/bundle/berth.js, beside the
// bundled CLI, dist/bundle/cli.js. CommonJS on purpose: Node starts a CommonJS file without its ES
// module loader, so `berth version` costs no more than Node's own start; every other command
// runs the CLI bundle, compiled through a V8 code cache (code-cache.cts).
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS module imports with require */
import fs = require("node:fs");
import path = require("node:path");
import type CodeCache = require("./code-cache.cjs");
/* eslint-enable @typescript-eslint/no-require-imports */

declare const BERTH_BUNDLE_HASH: string;

const args = process.argv.slice(2);

if (args.length === 1 && (args[0] === "version" || args[0] === "--version")) {
  // dist/bundle/berth.js -> the package's package.json (as src/version.ts reads it).
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: unknown };
  process.stdout.write(`${typeof manifest.version === "string" ? manifest.version : "0.0.0"}\n`);
} else {
  // Required here, not above: `berth version` needs none of it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const codeCache = require("./code-cache.cjs") as typeof CodeCache;
  // scripts/bundle.mjs defines the hash of the CLI bundle it built: the code cache's key.
  const bundle = path.join(__dirname, "cli.js");
  const cli = codeCache.requireCached(bundle, codeCache.cacheFile(BERTH_BUNDLE_HASH, bundle, args));
  const { main } = cli.exports as { main: (args: string[]) => Promise<void> };
  void main(args).then(() => {
    if (process.exitCode === undefined || process.exitCode === 0) cli.save();
  });
}

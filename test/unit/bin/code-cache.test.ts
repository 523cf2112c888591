// The launcher's code cache (src/bin/code-cache.cts): a file run through it can still import() an
// ES module outside the bundle, also when V8 restored the file's code from the cache, where Node
// 20 gives the script's own import() no loader (the proxy's control client is loaded so).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

import { buildSync } from "esbuild";

const directory = mkdtempSync(join(tmpdir(), "berth-code-cache-"));
// Built as scripts/bundle.mjs builds the launcher: CommonJS, for Node's own loader.
const launcherModule = join(directory, "code-cache.cjs");
buildSync({ entryPoints: [join(import.meta.dirname, "../../../src/bin/code-cache.cts")], outfile: launcherModule, bundle: true, format: "cjs", platform: "node", target: "node20", logLevel: "warning" });
const codeCache = createRequire(import.meta.url)(launcherModule) as {
  requireCached: (filename: string, cache: string | undefined) => { exports: unknown; save: () => void };
};
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("a file run through the code cache", () => {
  it("imports an ES module through __berthImport, compiled or restored from the cache", async () => {
    const esm = join(directory, "answer.mjs");
    writeFileSync(esm, "export const answer = 42;\n");
    const file = join(directory, "bundle.js");
    writeFileSync(file, `module.exports = { load: () => __berthImport(${JSON.stringify(pathToFileURL(esm).href)}).then((m) => m.answer) };\n`);
    const cache = join(directory, "bundle.v8cache");
    for (const run of ["compiled", "from the cache"]) {
      const loaded = codeCache.requireCached(file, cache);
      const { load } = loaded.exports as { load: () => Promise<number> };
      expect(await load(), run).toBe(42);
      loaded.save();
    }
  });
});

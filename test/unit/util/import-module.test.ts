// importModule from the CLI bundle as the launcher runs it: through the V8 code cache, in a later
// process than the one that wrote the cache (Node 20 then refuses import() in the bundle's own
// code). A small bundle built the way scripts/bundle.mjs builds the CLI, run twice.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-import-module-"));
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
  writeFileSync(join(dir, "answer.mjs"), "export const answer = 42;\n");
  writeFileSync(
    join(dir, "entry.ts"),
    `import { importModule } from ${JSON.stringify(join(root, "src/util/import-module.ts"))};\n` +
      "export async function main(url: string): Promise<unknown> { return ((await importModule(url)) as { answer: number }).answer; }\n",
  );
  // As scripts/bundle.mjs: the CLI bundle, esm-import.js beside it, the launcher's code cache.
  const common = { absWorkingDir: root, bundle: true, format: "cjs", platform: "node", target: "node20", logLevel: "warning" } as const;
  await build({ ...common, entryPoints: [join(dir, "entry.ts")], outfile: join(dir, "cli.js"), define: { "import.meta.url": "__berthModuleUrl" }, banner: { js: 'var __berthModuleUrl = require("node:url").pathToFileURL(__filename).href;' } });
  await build({ ...common, entryPoints: [join(root, "src/bin/code-cache.cts")], outfile: join(dir, "code-cache.js") });
  copyFileSync(join(root, "src/bin/esm-import.cjs"), join(dir, "esm-import.js"));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("importModule", () => {
  it("imports an ES module from a bundle run out of the launcher's code cache", () => {
    const cache = join(dir, "cli.v8cache");
    const driver = [
      `const { requireCached } = require(${JSON.stringify(join(dir, "code-cache.js"))});`,
      `const cli = requireCached(${JSON.stringify(join(dir, "cli.js"))}, ${JSON.stringify(cache)});`,
      `cli.exports.main(${JSON.stringify(pathToFileURL(join(dir, "answer.mjs")).href)}).then((answer) => { console.log(answer); cli.save(); }, (error) => { console.log(error.code); });`,
    ].join("\n");
    const run = (): string => execFileSync(process.execPath, ["--no-warnings", "-e", driver], { cwd: dir, encoding: "utf8" }).trim();
    expect(run()).toBe("42"); // compiles the bundle, writes the cache
    expect(existsSync(cache)).toBe(true);
    expect(run()).toBe("42"); // from the cache
  });
});

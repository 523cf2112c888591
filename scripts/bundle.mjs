// Bundles the CLI into dist/bundle/ (the package's `berth` executable): one module per command
// family instead of ~200 files and their dependencies' files, which Node would otherwise resolve,
// read and link one by one at every start (about 0.15 s of a deploy's start-up on a small machine).
// Type checking stays with tsc; esbuild only strips the types and joins the modules.
// `node scripts/bundle.mjs <dir>` bundles into dist/<dir> instead (tests that run the executable
// build their own, so they never race another test rebuilding dist/bundle).
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", process.argv[2] ?? "bundle");
if (!/^[\w.-]+$/.test(process.argv[2] ?? "bundle")) throw new Error(`bundle: ${process.argv[2]} is not a directory name under dist/`);
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ["src/bin/berth.ts"],
  outdir,
  bundle: true,
  // Lazy imports stay lazy: each becomes a chunk loaded when its command needs it.
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // CommonJS dependencies (commander) call require() for Node's own modules.
  banner: { js: 'import { createRequire as __berthCreateRequire } from "node:module"; const require = __berthCreateRequire(import.meta.url);' },
  logLevel: "warning",
});

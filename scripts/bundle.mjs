// Bundles the CLI into dist/bundle/ (the package's `berth` executable): one module per command
// family instead of ~200 files and their dependencies' files, which Node would otherwise resolve,
// read and link one by one at every start (about 0.15 s of a deploy's start-up on a small machine).
// Type checking stays with tsc; esbuild only strips the types and joins the modules.
//
//   dist/bundle/berth.js   the executable: a small CommonJS launcher (src/bin/launcher.cts) that
//                          answers `berth version` itself and runs cli.js for the rest
//   dist/bundle/cli.js     the CLI (src/bin/cli.ts) as one CommonJS file: lazy imports stay lazy
//                          (a module's code runs when its command needs it), and the launcher
//                          compiles it through a V8 code cache, which Node 20 offers for CommonJS
//                          scripts (vm.Script) but not for ES modules. Loading and linking the ES
//                          module chunks and compiling them at every start cost ~80 ms of `berth
//                          config`'s ~180 ms (bench/profiles/config-startup.txt).
//   dist/bundle/esm-import.js  import() for the bundle's ES module imports (src/bin/esm-import.cjs)
//
// `node scripts/bundle.mjs <dir>` bundles into dist/<dir> instead (tests that run the executable
// build their own, so they never race another test rebuilding dist/bundle).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", process.argv[2] ?? "bundle");
if (!/^[\w.-]+$/.test(process.argv[2] ?? "bundle")) throw new Error(`bundle: ${process.argv[2]} is not a directory name under dist/`);
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
// The package is "type": "module"; the bundle is CommonJS.
writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);

/**
 * zod's namespace export carries every locale (~360 kB of the bundle, parsed at each start);
 * Berth uses only the English messages zod installs by default.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(bundle) {
    bundle.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${join("node_modules", "zod")}`) ? { path: join(dirname(args.importer), "..", "locales"), namespace: "zod-locales" } : undefined,
    );
    bundle.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(args.path, "en.js"))};`,
      resolveDir: args.path,
    }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ["src/bin/cli.ts"],
  outfile: join(outdir, "cli.js"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // 1.9 -> 1.4 MB to read at each start (~5 ms of `berth config`); names stay, for -v's traces.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [zodEnglishOnly],
  // CommonJS has no import.meta: src/util/package-root.ts gets the bundle's own URL instead.
  define: { "import.meta.url": "__berthModuleUrl" },
  banner: { js: 'var __berthModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});
// import() for the bundle, from a file Node compiles itself (see src/bin/esm-import.cjs).
copyFileSync(join(root, "src/bin/esm-import.cjs"), join(outdir, "esm-import.js"));
// The code cache's key: a new build never runs with another build's cache.
const bundleHash = createHash("sha256").update(readFileSync(join(outdir, "cli.js"))).digest("hex").slice(0, 16);
await build({
  absWorkingDir: root,
  entryPoints: ["src/bin/launcher.cts"],
  outfile: join(outdir, "berth.js"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  define: { BERTH_BUNDLE_HASH: JSON.stringify(bundleHash) },
  logLevel: "warning",
});

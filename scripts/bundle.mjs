// Bundles the CLI into dist/bundle/ (the package's `berth` executable): one module per command
// family instead of ~200 files and their dependencies' files, which Node would otherwise resolve,
// read and link one by one at every start (about 0.15 s of a deploy's start-up on a small machine).
// Type checking stays with tsc; esbuild only strips the types and joins the modules.
//
//   dist/bundle/berth.js   the executable: a small CommonJS launcher (src/bin/launcher.cts) that
//                          answers `berth version` itself and imports lib/berth.js for the rest
//   dist/bundle/lib/       the CLI as ES modules (src/bin/berth.ts and its lazily loaded chunks)
//
// `node scripts/bundle.mjs <dir>` bundles into dist/<dir> instead (tests that run the executable
// build their own, so they never race another test rebuilding dist/bundle).
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", process.argv[2] ?? "bundle");
if (!/^[\w.-]+$/.test(process.argv[2] ?? "bundle")) throw new Error(`bundle: ${process.argv[2]} is not a directory name under dist/`);
rmSync(outdir, { recursive: true, force: true });
mkdirSync(join(outdir, "lib"), { recursive: true });
// The package is "type": "module"; the launcher alone is CommonJS.
writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
writeFileSync(join(outdir, "lib", "package.json"), `${JSON.stringify({ type: "module" })}\n`);

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
  entryPoints: ["src/bin/berth.ts"],
  outdir: join(outdir, "lib"),
  bundle: true,
  // Lazy imports stay lazy: each becomes a chunk loaded when its command needs it.
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  plugins: [zodEnglishOnly],
  // CommonJS dependencies (commander) call require() for Node's own modules.
  banner: { js: 'import { createRequire as __berthCreateRequire } from "node:module"; const require = __berthCreateRequire(import.meta.url);' },
  logLevel: "warning",
});
await build({
  absWorkingDir: root,
  entryPoints: ["src/bin/launcher.cts"],
  outfile: join(outdir, "berth.js"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  logLevel: "warning",
});

// The project's test bed (testbed/*.ts) for the benchmarks, compiled with tsc into dist/bench/
// (inside the package, so modules that look for the package root find it) and imported.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./paths.mjs";

let loaded;

/** The test bed's module (testbed/index.ts), compiled once per process. */
export async function loadTestbed() {
  if (loaded !== undefined) return loaded;
  const out = path.join(ROOT, "dist", "bench");
  fs.rmSync(out, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, "node_modules/typescript/bin/tsc"),
      "--outDir", out,
      "--rootDir", ROOT,
      "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2023",
      "--skipLibCheck", "--types", "node",
      path.join(ROOT, "testbed/index.ts"),
    ],
    { cwd: ROOT, stdio: "inherit" },
  );
  // Files the test bed uses next to its modules (the host boot scripts).
  fs.cpSync(path.join(ROOT, "testbed/scripts"), path.join(out, "testbed/scripts"), { recursive: true });
  loaded = await import(pathToFileURL(path.join(out, "testbed/index.js")).href);
  return loaded;
}

// Where the benchmarks find the package and the tools they compare Berth with.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The package's executable, as users run it. */
export const BERTH_BIN = path.join(ROOT, "dist/bundle/berth.js");
export const RESULTS_FILE = path.join(ROOT, "bench/RESULTS.md");

/**
 * The real Kamal 2.12 (see its README), which the deploy benchmarks compare against: $BERTH_KAMAL,
 * else ../shared/kamal-2.12 beside the repository or one of its parents (as the tests find it).
 */
export function kamalBin() {
  const explicit = process.env.BERTH_KAMAL;
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new Error(`BERTH_KAMAL=${explicit} does not exist`);
    return explicit;
  }
  for (let dir = ROOT; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "../shared/kamal-2.12/bin/kamal");
    if (fs.existsSync(candidate)) return path.resolve(candidate);
    if (path.dirname(dir) === dir) break;
  }
  throw new Error("Kamal 2.12 was not found in ../shared/kamal-2.12 beside the repository or a parent: set BERTH_KAMAL to its bin/kamal");
}

// The package at another commit, built in a temporary directory, so a benchmark can time Berth
// before and after a change in the same run (`--baseline GIT_REF`).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "./paths.mjs";

/** Builds `ref` (git archive, node_modules linked) under `work`; returns its bundle's executable. */
export function buildBaseline(ref, work) {
  const dir = path.join(work, `baseline-${ref.replace(/[^\w.-]/g, "_")}`);
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("sh", ["-c", 'git -C "$1" archive "$2" | tar -x -C "$3"', "sh", ROOT, ref, dir]);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  console.log(`Building ${ref} for comparison…`);
  execFileSync("npm", ["run", "--silent", "build"], { cwd: dir, stdio: "inherit" });
  return path.join(dir, "dist/bundle/berth.js");
}

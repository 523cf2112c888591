// `npm run bench`: runs the project's benchmarks: the proxy's (proxy/bench/run.mjs), the
// deploy's (bench/deploy.mjs) and hostile input's (bench/input.mjs).
// `npm run bench -- proxy|deploy|input [options]` runs one of them.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const benches = { proxy: "proxy/bench/run.mjs", deploy: "bench/deploy.mjs", input: "bench/input.mjs" };
const [first, ...rest] = process.argv.slice(2);
const selected = first in benches ? [[first, rest]] : Object.keys(benches).map((name) => [name, process.argv.slice(2)]);
let status = 0;
for (const [name, args] of selected) {
  // Options before a bench name go to every bench, so each one ignores the others' options.
  const result = spawnSync(process.execPath, [path.join(root, benches[name]), ...args], { stdio: "inherit" });
  status ||= result.status ?? 1;
}
process.exit(status);

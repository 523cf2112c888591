// `npm run bench`: runs the benchmarks the project has (today: the proxy's, proxy/bench/run.mjs).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const result = spawnSync(process.execPath, [path.join(root, "proxy/bench/run.mjs"), ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);

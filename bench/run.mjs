// `npm run bench`: every benchmark of issue #16, one after the other, each writing its section of
// bench/RESULTS.md. `npm run bench -- <name> [options]` runs one (see bench/README.md);
// options given without a name go to every benchmark (each ignores the others').
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const benches = {
  startup: "bench/startup.mjs",
  deploy: "bench/deploy.mjs",
  fleet: "bench/fleet.mjs",
  proxy: "bench/proxy.mjs",
  switch: "bench/switch.mjs",
  // The proxy's own loopback benchmark (outside a container), by name only.
  "proxy-loopback": "proxy/bench/run.mjs",
  // CPU per request of Berth's proxy and HAProxy (and dockerd, the shim, the app), by name only.
  "proxy-cpu": "bench/proxy-cpu.mjs",
  // Hostile input's refusal time and memory (the configuration limits).
  input: "bench/input.mjs",
  // Image delivery without a registry against `docker save | ssh docker load` (issue #13).
  delivery: "bench/delivery.mjs",
};
const everything = ["startup", "deploy", "fleet", "proxy", "switch", "input", "delivery"];
const [first, ...rest] = process.argv.slice(2);
if (first !== undefined && !first.startsWith("-") && !(first in benches)) {
  console.error(`unknown benchmark ${first}: use one of ${Object.keys(benches).join(", ")}`);
  process.exit(2);
}
const selected = first in benches ? [[first, rest]] : everything.map((name) => [name, process.argv.slice(2)]);
let status = 0;
for (const [name, args] of selected) {
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(process.execPath, [path.join(root, benches[name]), ...args], { stdio: "inherit", cwd: root });
  if (result.status !== 0) console.error(`${name}: exit ${result.status ?? result.signal}`);
  status ||= result.status ?? 1;
}
process.exit(status);

// Hostile-input benchmark: how long the real CLI (`node dist/bundle/berth.js config`, node start-up
// included) takes to refuse the resource-exhaustion cases of test/corpus/bad-input, and its peak
// memory (GNU time's maximum resident set); then how long it takes to exit after SIGTERM while an
// ERB command of deploy.yml runs. Before the limits, the billion-laughs file ran Berth out of
// memory after about two minutes.
//
// Usage: node bench/input.mjs [--runs 3]
// The figures depend on the machine's load: the load average is printed with them.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const corpus = path.join(root, "test/corpus/bad-input");
const args = process.argv.slice(2);
const runs = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 3;
const CASES = [
  "exhaust-billion-laughs",
  "exhaust-billion-laughs-extension",
  "exhaust-merge-bomb",
  "exhaust-alias-bomb-in-env",
  "exhaust-deep-flow-nesting",
  "exhaust-many-values",
  "exhaust-huge-file",
  "exhaust-erb-output",
];

console.log("Building berth…");
execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
const bin = path.join(root, "dist/bundle/berth.js");
const gnuTime = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "berth-input-bench-"));

/** A copy of the case's project, with its generated files made. */
function project(name) {
  const dir = path.join(scratch, name);
  fs.cpSync(path.join(corpus, name), dir, { recursive: true, filter: (source) => !source.endsWith("case.json") });
  const spec = JSON.parse(fs.readFileSync(path.join(corpus, name, "case.json"), "utf8"));
  for (const [file, generated] of Object.entries(spec.files ?? {})) {
    if (!("repeat" in generated)) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), `${generated.before ?? ""}${generated.repeat.repeat(generated.times)}${generated.after ?? ""}`);
  }
  return dir;
}

function measure(dir) {
  const started = performance.now();
  const command = gnuTime ? [gnuTime, "-f", "%M", process.execPath, bin, "config"] : [process.execPath, bin, "config"];
  const result = spawnSync(command[0], command.slice(1), { cwd: dir, env: { ...process.env, VERSION: "bench" }, encoding: "utf8" });
  const ms = performance.now() - started;
  const rssKb = gnuTime ? Number(result.stderr.trim().split("\n").at(-1)) : NaN;
  return { ms, rssKb, status: result.status };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`\nload average ${os.loadavg().map((load) => load.toFixed(2)).join(" ")}, ${runs} runs each, median\n`);
console.log("case                               exit    time   peak RSS");
for (const name of CASES) {
  const dir = project(name);
  const results = Array.from({ length: runs }, () => measure(dir));
  const rss = median(results.map((result) => result.rssKb));
  console.log(`${name.padEnd(34)} ${String(results[0].status).padStart(4)} ${median(results.map((result) => result.ms)).toFixed(0).padStart(5)} ms ${Number.isNaN(rss) ? "       -" : `${(rss / 1024).toFixed(0).padStart(5)} MiB`}`);
}

// SIGTERM during an ERB command: the time from the signal to the process's exit.
const slow = path.join(scratch, "sigterm");
fs.mkdirSync(path.join(slow, "config"), { recursive: true });
const config = fs.readFileSync(path.join(corpus, "schema-unknown-root-key/config/deploy.yml"), "utf8").replace(/\nservrs:[\s\S]*$/, "\n");
fs.writeFileSync(path.join(slow, "config/deploy.yml"), config.replace("service: app", "service: <%= `touch started; sleep 30; echo app` %>"));
const latencies = [];
for (let run = 0; run < runs; run++) {
  fs.rmSync(path.join(slow, "started"), { force: true });
  const child = spawn(process.execPath, [bin, "config"], { cwd: slow, env: { ...process.env, VERSION: "bench" }, stdio: "ignore" });
  while (!fs.existsSync(path.join(slow, "started"))) await new Promise((resolve) => setTimeout(resolve, 10));
  const signalled = performance.now();
  const status = await new Promise((resolve) => {
    child.on("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
  latencies.push({ ms: performance.now() - signalled, status });
}
console.log(`\nSIGTERM during a 30 s ERB command: exit ${latencies[0].status} after ${median(latencies.map((latency) => latency.ms)).toFixed(0)} ms (median)`);
fs.rmSync(scratch, { recursive: true, force: true });

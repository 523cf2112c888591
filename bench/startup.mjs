// Start-up benchmark (issue #16, 5): `berth version` and `berth config` against `node -e 0`, with
// hyperfine, all three in the same hyperfine run, several rounds. Targets: version ≤ 1.2× and
// config ≤ 2× Node's own start. Berth runs as installed: `node dist/bundle/berth.js`.
//
// Usage: node bench/startup.mjs [--rounds 5] [--runs 20] [--baseline GIT_REF]
//   --baseline REF  also times the bundle built from REF (git archive into a temporary
//                   directory), in the same hyperfine runs: before/after an optimisation.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildBaseline } from "./lib/baseline.mjs";
import { loadWatcher } from "./lib/machine.mjs";
import { options } from "./lib/options.mjs";
import { BERTH_BIN, ROOT } from "./lib/paths.mjs";
import { writeSection } from "./lib/results.mjs";
import { fmt, median, ratios, summary, table, verdict } from "./lib/stats.mjs";
import { commitAll } from "./lib/git.mjs";

const opts = options({ rounds: 5, runs: 20, baseline: "" });
const TARGETS = { version: 1.2, config: 2 };

function ensureHyperfine() {
  if (spawnSync("hyperfine", ["--version"], { stdio: "ignore" }).status === 0) return;
  throw new Error("hyperfine is missing: run `bash .ci/run --setup-only` (Debian's hyperfine package)");
}

/** A project `berth config` can read: a deploy.yml and a git commit for the version. */
function createProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-startup-bench-"));
  fs.mkdirSync(path.join(dir, "config"));
  fs.writeFileSync(
    path.join(dir, "config/deploy.yml"),
    [
      "service: app",
      "image: bench/app",
      "servers:",
      "  web:",
      "    - 10.210.0.11",
      "  worker:",
      "    hosts:",
      "      - 10.210.0.12",
      "    cmd: bin/jobs",
      "registry:",
      "  server: 10.210.0.1:5555",
      "  username: bench",
      "  password:",
      "    - REGISTRY_PASSWORD",
      "env:",
      "  secret:",
      "    - SECRET_TOKEN",
      "proxy:",
      "  app_port: 80",
      "builder:",
      "  arch: amd64",
      "",
    ].join("\n"),
  );
  fs.mkdirSync(path.join(dir, ".kamal"));
  fs.writeFileSync(path.join(dir, ".kamal/secrets"), "REGISTRY_PASSWORD=bench\nSECRET_TOKEN=bench\n");
  commitAll(dir, "bench", { init: true });
  return dir;
}

function hyperfine(commands, runs, exportFile) {
  execFileSync(
    "hyperfine",
    ["-N", "--warmup", "3", "--runs", String(runs), "--style", "none", "--export-json", exportFile, ...commands.map(([, command]) => command)],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const json = JSON.parse(fs.readFileSync(exportFile, "utf8"));
  return json.results.map((result, index) => ({
    name: commands[index][0],
    wallMs: median(result.times) * 1000,
    cpuMs: (result.user + result.system) * 1000,
  }));
}

async function main() {
  ensureHyperfine();
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-startup-"));
  const project = createProject();
  try {
    const commands = [
      ["node -e 0", "node -e 0"],
      ["berth version", `node ${BERTH_BIN} version`],
      ["berth config", `node ${BERTH_BIN} config`],
    ];
    if (opts.baseline) {
      const baseline = buildBaseline(opts.baseline, work);
      commands.push([`berth version @${opts.baseline}`, `node ${baseline} version`], [`berth config @${opts.baseline}`, `node ${baseline} config`]);
    }
    const cwd = process.cwd();
    process.chdir(project); // berth config reads ./config/deploy.yml
    const load = loadWatcher();
    const rounds = [];
    for (let round = 1; round <= opts.rounds; round++) {
      const results = hyperfine(commands, opts.runs, path.join(work, `round-${round}.json`));
      rounds.push(Object.fromEntries(results.map((result) => [result.name, result])));
      load.sample();
      console.log(`  round ${round}: ${results.map((result) => `${result.name} ${result.wallMs.toFixed(1)} ms`).join(", ")}`);
    }
    const loadLine = load.stop();
    process.chdir(cwd);

    const wall = (name) => rounds.map((round) => round[name].wallMs);
    const cpu = (name) => rounds.map((round) => round[name].cpuMs);
    const node = wall("node -e 0");
    const nodeCpu = cpu("node -e 0");
    const rows = commands.map(([name]) => {
      const ratio = ratios(wall(name), node);
      const cpuRatio = ratios(cpu(name), nodeCpu);
      const target = name === "berth version" ? TARGETS.version : name === "berth config" ? TARGETS.config : undefined;
      const { median: mid, min, max } = summary(wall(name));
      return [
        name,
        `${fmt(mid, 1)} (${fmt(min, 1)}–${fmt(max, 1)})`,
        name === "node -e 0" ? "1" : `**${fmt(median(ratio))}** (${ratio.map((value) => fmt(value)).join(", ")})`,
        fmt(median(cpu(name)), 1),
        name === "node -e 0" ? "1" : fmt(median(cpuRatio)),
        target === undefined ? "" : `≤ ${target}×: ${verdict(median(ratio) <= target)}`,
      ];
    });
    const body = [
      `hyperfine -N, ${opts.runs} runs per command per round after 3 warm-ups, ${opts.rounds} rounds; each round runs every command; ` +
        `wall time is the median run of a round, the figures the median round (min–max of rounds). CPU is user + system, mean of runs ` +
        `(less disturbed than wall time by other work on a shared machine).`,
      `Command: \`node bench/startup.mjs --rounds ${opts.rounds} --runs ${opts.runs}${opts.baseline ? ` --baseline ${opts.baseline}` : ""}\`; ${loadLine}.`,
      "",
      table(["command", "wall ms, median (min–max)", "wall × node -e 0, median (per round)", "CPU ms", "CPU × node -e 0", "target (wall)"], rows),
    ].join("\n");
    console.log(`\n${body}\n`);
    console.log(`written to ${writeSection("startup", "Start-up (5)", body)}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
  }
}

await main();

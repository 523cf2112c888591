// Fleet benchmark (issue #16, 2): the deploy's orchestration over 1, 10, 50 and 100 servers.
// Real deploys cost docker work that 2 shared cores can't do for many hosts at once, so the hosts
// are light (testbed/fleet.ts: a network namespace and an sshd each) and Docker is a stand-in
// (bench/fleet/stub.mjs: the `docker` CLI and the Engine API socket, answered at once from a fixed
// picture of a host running the app, every request recorded). `berth deploy -P` and Kamal 2.12's
// `kamal deploy -P` take turns on the same fleet, each size in every round.
// Target: Berth's 100-host wall time ≤ 3× its 1-host wall time (per round).
//
// Usage: node bench/fleet.mjs [--rounds 5] [--sizes 1,10,50,100] [--kamal-sizes 1,10,50,100]
//                             [--baseline GIT_REF]  (Berth built from GIT_REF too, in the same rounds)
//                             [--profile FILE]      (also one 100-host Berth deploy under --cpu-prof,
//                                                    summarised into FILE)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { keyExchangeCost, limitLines } from "./fleet/limits.mjs";
import { startStub } from "./fleet/stub.mjs";
import { buildBaseline } from "./lib/baseline.mjs";
import { loadWatcher } from "./lib/machine.mjs";
import { measure } from "./lib/measure.mjs";
import { options } from "./lib/options.mjs";
import { BERTH_BIN, ROOT, kamalBin } from "./lib/paths.mjs";
import { summariseProfiles } from "./lib/profile.mjs";
import { writeSection } from "./lib/results.mjs";
import { fmt, median, ratios, spread, table, verdict } from "./lib/stats.mjs";
import { loadTestbed } from "./lib/testbed.mjs";
import { commitAll } from "./lib/git.mjs";

const opts = options({ rounds: 5, sizes: [1, 10, 50, 100], kamalSizes: [1, 10, 50, 100], baseline: "", profile: "" });
const TARGET = 3;
const REGISTRY = "10.210.0.1:5555";
/** Preloaded into Berth's process: its own CPU time, apart from its ssh processes'. */
const OWN_CPU = path.join(ROOT, "bench/fleet/own-cpu.cjs");

async function main() {
  if (process.getuid?.() !== 0) throw new Error("bench/fleet.mjs needs root (network namespaces)");
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  // tsc's output of src/ (dist/src/ once tsc also compiles testbed/).
  const defaults = ["dist/src/config/proxy-defaults.js", "dist/config/proxy-defaults.js"].map((file) => path.join(ROOT, file)).find((file) => fs.existsSync(file));
  const { BERTH_PROXY_TAG } = await import(pathToFileURL(defaults).href);
  const { DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS } = await import(pathToFileURL(path.join(path.dirname(defaults), "defaults.js")).href);
  const kamal = kamalBin();
  const testbed = await loadTestbed();
  const largest = Math.max(...opts.sizes);
  console.log(`Starting a fleet of ${largest} hosts…`);
  const fleet = await testbed.startFleet({ hosts: largest, name: "bench-fleet", dockerCliDir: path.join(ROOT, "bench/fleet/cli") });
  let stub;
  const servers = serverCpuGroup(fleet);
  const project = createProject(fleet, opts.sizes);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-fleet-"));
  try {
    const baselineBin = opts.baseline ? buildBaseline(opts.baseline, work) : undefined;
    stub = await startStub({
      hosts: fleet.hosts,
      service: "app",
      image: `${REGISTRY}/berth-bench/app`,
      version: project.version,
      proxyImage: `${REGISTRY}/berth-bench/berth-proxy:${BERTH_PROXY_TAG}`,
    });
    const ownCpuFile = path.join(work, "own-cpu");
    const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8", CI: "true", BERTH_BENCH_OWN_CPU: ownCpuFile };
    const tools = {
      berth: (size) => [process.execPath, ["-r", OWN_CPU, BERTH_BIN, "deploy", "-P", "-c", project.config(size), "--output", "json"]],
      kamal: (size) => [kamal, ["deploy", "-P", "-c", project.config(size)]],
      baseline: (size) => [process.execPath, ["-r", OWN_CPU, baselineBin, "deploy", "-P", "-c", project.config(size), "--output", "json"]],
    };
    const names = ["berth", ...(opts.kamalSizes.length > 0 ? ["kamal"] : []), ...(baselineBin ? ["baseline"] : [])];
    const deploy = async (tool, size) => {
      const connectionsBefore = acceptedConnections(fleet);
      const serverCpuBefore = servers.usageMs();
      stub.take();
      fs.rmSync(ownCpuFile, { force: true });
      const [command, args] = tools[tool](size);
      const result = await measure(command, args, { cwd: project.dir, env });
      const records = stub.take();
      const sample = {
        ...result,
        ownCpuMs: fs.existsSync(ownCpuFile) ? Number(fs.readFileSync(ownCpuFile, "utf8")) : NaN,
        connections: acceptedConnections(fleet) - connectionsBefore,
        serverCpuMs: servers.usageMs() - serverCpuBefore,
        ...countRecords(records, fleet.hosts.slice(0, size), tool),
      };
      if (result.code !== 0 || sample.switchedHosts !== size) {
        const log = path.join(os.tmpdir(), `berth-fleet-${tool}-${size}.log`);
        fs.writeFileSync(log, `${result.stdout}\n${result.stderr}`);
        throw new Error(`${tool} deploy to ${size} hosts: exit ${result.code}, proxy switched on ${sample.switchedHosts} of ${size} hosts; output in ${log}`);
      }
      return sample;
    };

    // One unmeasured deploy each first: the fleet's sshds and the machine's caches warm up.
    await deploy("berth", 1);
    if (opts.kamalSizes.length > 0) await deploy("kamal", 1);
    const load = loadWatcher();
    if (baselineBin) await deploy("baseline", 1);
    const samples = { berth: new Map(), kamal: new Map(), baseline: new Map() };
    for (let round = 1; round <= opts.rounds; round++) {
      for (const size of opts.sizes) {
        // Each round starts with another tool, so none always runs right after another.
        const order = names.map((_, index) => names[(index + round - 1) % names.length]);
        for (const tool of order) {
          if (tool === "kamal" && !opts.kamalSizes.includes(size)) continue;
          const sample = await deploy(tool, size);
          if (!samples[tool].has(size)) samples[tool].set(size, []);
          samples[tool].get(size).push(sample);
          console.log(
            `  round ${round} ${tool.padEnd(8)} ${String(size).padStart(3)} hosts: ${(sample.wallMs / 1000).toFixed(2)} s, ` +
              `CPU ${(sample.treeCpuMs / 1000).toFixed(2)} s (servers ${(sample.serverCpuMs / 1000).toFixed(2)} s), RSS ${(sample.maxRssKb / 1024).toFixed(0)} MB, ${sample.connections} SSH connections, ` +
              `${sample.cli} docker CLI, ${sample.api} API, ${sample.proxy} proxy calls (load ${os.loadavg()[0].toFixed(2)})`,
          );
        }
      }
    }
    const loadLine = load.stop();
    console.log("Measuring the SSH key exchange's cost to the client…");
    const kex = await keyExchangeCost(fleet, env);
    let profileNote = "";
    if (opts.profile) profileNote = await profile(fleet, project, env, largest, opts.profile);
    report(samples, loadLine, profileNote, { kex, maxConcurrentStarts: DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS });
  } finally {
    await stub?.close();
    await fleet.stop();
    await servers.remove();
    fs.rmSync(project.dir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** One project with a config file per fleet size (`config/deploy.n<N>.yml`: the first N hosts), one commit. */
function createProject(fleet, sizes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-fleet-app-"));
  fs.mkdirSync(path.join(dir, "config"));
  fs.mkdirSync(path.join(dir, ".kamal"));
  fs.writeFileSync(path.join(dir, ".kamal/secrets"), "REGISTRY_PASSWORD=bench-registry-password\n");
  fs.writeFileSync(path.join(dir, ".gitignore"), ".kamal/secrets\n");
  fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
  for (const size of sizes) {
    fs.writeFileSync(
      path.join(dir, `config/deploy.n${size}.yml`),
      [
        "service: app",
        "image: berth-bench/app",
        "registry:",
        `  server: ${REGISTRY}`,
        "  username: bench",
        "  password:",
        "    - REGISTRY_PASSWORD",
        "servers:",
        "  web:",
        ...fleet.hosts.slice(0, size).map((host) => `    - ${host.ip}`),
        "proxy:",
        "  app_port: 80",
        "builder:",
        "  arch: amd64",
        "ssh:",
        `  config: ${fleet.sshConfigPath}`,
        "",
      ].join("\n"),
    );
  }
  return { dir, version: commitAll(dir, "fleet", { init: true }), config: (size) => `config/deploy.n${size}.yml` };
}

/**
 * A cpuacct cgroup holding every process of the fleet's hosts (their sshd, and the sessions and
 * docker stand-ins it starts): the servers' side of a deploy, on the same cores as the deployer.
 */
function serverCpuGroup(fleet) {
  const group = `/sys/fs/cgroup/cpuacct/berth-bench-fleet-servers-${process.pid}`;
  fs.mkdirSync(group);
  for (const host of fleet.hosts) {
    for (const pid of execFileSync("ip", ["netns", "pids", host.name], { encoding: "utf8" }).split("\n").filter(Boolean)) {
      fs.writeFileSync(path.join(group, "cgroup.procs"), pid);
    }
  }
  return {
    usageMs: () => Number(fs.readFileSync(path.join(group, "cpuacct.usage"), "utf8")) / 1e6,
    async remove() {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          fs.rmdirSync(group); // empty once the hosts' processes have exited
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
  };
}

/** SSH connections the fleet's sshds accepted so far (sshd -e logs each to the host's boot.log). */
function acceptedConnections(fleet) {
  let count = 0;
  for (const host of fleet.hosts) {
    const log = path.join(fleet.workDir, host.name, "boot.log");
    if (fs.existsSync(log)) count += (fs.readFileSync(log, "utf8").match(/Accepted publickey/g) ?? []).length;
  }
  return count;
}

/** What the stub saw: docker CLI commands, API requests and proxy calls, and on how many hosts the proxy switched. */
function countRecords(records, hosts, tool) {
  let cli = 0;
  let api = 0;
  let proxy = 0;
  let switchedHosts = 0;
  for (const host of hosts) {
    const list = records.get(host.index) ?? [];
    cli += list.filter((record) => record.kind === "cli").length;
    api += list.filter((record) => record.kind === "api").length;
    proxy += list.filter((record) => record.kind === "proxy").length;
    const switched = list.some((record) =>
      tool === "kamal" ? record.text.startsWith("docker exec kamal-proxy kamal-proxy deploy ") : /^(deploy |docker exec kamal-proxy kamal-proxy deploy )/.test(record.text),
    );
    if (switched) switchedHosts++;
  }
  return { cli, api, proxy, switchedHosts };
}

async function profile(fleet, project, env, size, file) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-fleet-prof-"));
  try {
    const result = await measure(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, BERTH_BIN, "deploy", "-P", "-c", `config/deploy.n${size}.yml`], { cwd: project.dir, env });
    if (result.code !== 0) throw new Error(`profiled deploy failed:\n${result.stdout}${result.stderr}`);
    const summary = summariseProfiles(dir, 25);
    fs.writeFileSync(file, `berth deploy -P to ${size} fleet hosts under --cpu-prof: ${(result.wallMs / 1000).toFixed(2)} s wall\n\n${summary}\n`);
    console.log(`profile summary written to ${file}`);
    return `A ${size}-host deploy under \`--cpu-prof\` took ${(result.wallMs / 1000).toFixed(2)} s; its summary is in \`${path.relative(ROOT, file)}\`.`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(samples, loadLine, profileNote, limits) {
  const berth1 = samples.berth.get(Math.min(...opts.sizes)).map((sample) => sample.wallMs);
  const rows = opts.sizes.map((size) => {
    const berth = samples.berth.get(size);
    const baseline = samples.baseline.get(size);
    const kamal = samples.kamal.get(size);
    const wall = (list) => list.map((sample) => sample.wallMs / 1000);
    const perHost = (list, key) => median(list.map((sample) => sample[key] / size));
    const scale = ratios(berth.map((sample) => sample.wallMs), berth1);
    const versusKamal = kamal ? ratios(berth.map((sample) => sample.wallMs), kamal.map((sample) => sample.wallMs)) : [];
    return [
      String(size),
      spread(wall(berth), 2, " s"),
      `${fmt(median(scale))} (${scale.map((value) => fmt(value)).join(", ")})`,
      kamal ? spread(wall(kamal), 2, " s") : "not run",
      kamal ? `${fmt(median(versusKamal))} (${versusKamal.map((value) => fmt(value)).join(", ")})` : "",
      fmt(median(berth.map((sample) => sample.maxRssKb / 1024)), 0),
      `${fmt(perHost(berth, "treeCpuMs"), 0)} (${fmt(perHost(berth, "ownCpuMs"), 0)} + ${fmt(median(berth.map((sample) => (sample.treeCpuMs - sample.ownCpuMs) / size)), 0)})`,
      kamal ? fmt(perHost(kamal, "treeCpuMs"), 0) : "",
      `${fmt(perHost(berth, "serverCpuMs"), 0)} / ${kamal ? fmt(perHost(kamal, "serverCpuMs"), 0) : "—"}`,
      `${fmt(perHost(berth, "connections"), 1)} / ${kamal ? fmt(perHost(kamal, "connections"), 1) : "—"}`,
      `${fmt(perHost(berth, "cli"), 1)} + ${fmt(perHost(berth, "api"), 1)} API + ${fmt(perHost(berth, "proxy"), 1)} proxy / ${kamal ? fmt(perHost(kamal, "cli"), 1) : "—"}`,
      ...(opts.baseline ? [baseline ? `${spread(wall(baseline), 2, " s")}; ÷ ${fmt(median(ratios(berth.map((sample) => sample.wallMs), baseline.map((sample) => sample.wallMs))))}; CPU ${fmt(perHost(baseline, "treeCpuMs"), 0)} ms/host` : ""] : []),
    ];
  });
  const largest = Math.max(...opts.sizes);
  const scale = median(ratios(samples.berth.get(largest).map((sample) => sample.wallMs), berth1));
  const body = [
    `\`berth deploy -P\` and \`kamal deploy -P\` (Kamal 2.12) to the first N hosts of a ${largest}-host fleet of light test hosts ` +
      "(network namespace + sshd each; `docker` and the Docker API socket answered at once by bench/fleet/stub.mjs, which records every request). " +
      `${opts.rounds} rounds; each round runs every size with both tools, alternating which goes first. Wall time median (min–max); ratios per round.`,
    `CPU is the whole process tree's (cpuacct cgroup: Node or Ruby, and every ssh process started), per host; Berth's is split into its Node process's own ` +
      "(process.cpuUsage at exit, bench/fleet/own-cpu.cjs) and the rest, its ssh processes'; the servers' CPU is that of every process " +
      "on the fleet's hosts (sshd, sessions, the docker stand-in), which here shares the deployer's 2 cores; RSS is the peak of the berth process. " +
      "SSH connections are those the hosts' sshds accepted; commands are docker CLI commands the hosts ran (Berth's other remote commands, mkdir and the like, are not counted here).",
    `Command: \`node bench/fleet.mjs --rounds ${opts.rounds} --sizes ${opts.sizes.join(",")} --kamal-sizes ${opts.kamalSizes.join(",")}${opts.baseline ? ` --baseline ${opts.baseline}` : ""}\`; ${loadLine}.`,
    "",
    table(
      ["hosts", "Berth wall", "× Berth 1 host (per round)", "Kamal wall", "Berth ÷ Kamal (per round)", "Berth peak RSS MB", "Berth CPU ms/host (Node + ssh)", "Kamal CPU ms/host", "servers' CPU ms/host, Berth / Kamal", "SSH conn./host Berth / Kamal", "docker per host: Berth CLI + API + proxy / Kamal CLI", ...(opts.baseline ? [`Berth @${opts.baseline}: wall; Berth ÷ it; its CPU`] : [])],
      rows,
    ),
    "",
    `Target: ${largest} hosts ≤ ${TARGET}× the 1-host wall time: ${fmt(scale)}× — ${verdict(scale <= TARGET)}.`,
    "",
    ...limitLines({ samples, largest, oneHostWallMs: median(berth1), target: TARGET, cores: os.cpus().length, ...limits }).flatMap((line) => [line, ""]).slice(0, -1),
    ...(profileNote ? ["", profileNote] : []),
  ].join("\n");
  console.log(`\n${body}\n`);
  console.log(`written to ${writeSection("fleet", "Simulated fleet (2)", body)}`);
}

await main();

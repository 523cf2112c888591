// Deploy benchmark (issue #16, 1): `berth deploy -P` against the real Kamal 2.12's `kamal deploy -P`,
// on the same test servers (testbed/: network namespaces with their own sshd and dockerd), image
// unchanged, the two taking turns in every round. Three apps, each its own service on the same
// bed: 1 host web; 2 hosts web + worker; 8 hosts web. `berth setup` starts each first (proxy
// booted, image built and pushed, first deploy); after every deploy the app must answer through
// the proxy on every web host.
// Targets: Berth ≤ 0.25× Kamal's wall time for 1 host, ≤ 0.3× for 2 hosts web + worker.
//
// Usage: node bench/deploy.mjs [--rounds 5] [--scenarios web1,web-worker2,web8] [--log DIR]
//   --log DIR  one more deploy of each tool per scenario with -v, written to DIR, and a summary
//              of where the time goes (Berth's JSON events, Kamal's command lines)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { loadWatcher } from "./lib/machine.mjs";
import { measure } from "./lib/measure.mjs";
import { options } from "./lib/options.mjs";
import { BERTH_BIN, ROOT, kamalBin } from "./lib/paths.mjs";
import { writeSection } from "./lib/results.mjs";
import { fmt, median, ratios, spread, table, verdict } from "./lib/stats.mjs";
import { loadTestbed } from "./lib/testbed.mjs";
import { berthSteps, kamalSteps } from "./lib/steps.mjs";
import { commitAll } from "./lib/git.mjs";

const SCENARIOS = {
  web1: { title: "1 host, web", service: "app1", roles: { web: [1] }, target: 0.25 },
  "web-worker2": { title: "2 hosts, web + worker", service: "app2", roles: { web: [1], worker: [2] }, target: 0.3 },
  web8: { title: "8 hosts, web", service: "app8", roles: { web: [1, 2, 3, 4, 5, 6, 7, 8] }, target: undefined },
};
const opts = options({ rounds: 5, scenarios: "web1,web-worker2,web8", log: "" });

async function main() {
  if (process.getuid?.() !== 0) throw new Error("bench/deploy.mjs needs root (the test bed creates network namespaces)");
  const chosen = opts.scenarios.split(",").map((name) => {
    if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name} (use ${Object.keys(SCENARIOS).join(", ")})`);
    return [name, SCENARIOS[name]];
  });
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  const kamal = kamalBin();
  const testbed = await loadTestbed();
  const hostCount = Math.max(...chosen.flatMap(([, scenario]) => Object.values(scenario.roles).flat()));
  await testbed.ensureLocalDocker();
  console.log(`Starting a test bed of ${hostCount} hosts…`);
  const bed = await testbed.startTestbed({ hosts: hostCount, name: "bench-deploy" });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-deploy-bench-"));
  try {
    await testbed.ensureBaseImages({ push: true });
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? "/root",
      LANG: "C.UTF-8",
      CI: "true",
      BERTH_PROXY_BASE_IMAGE: "berth-test/node:20",
      DOCKER_CONFIG: path.join(work, "docker"),
    };
    const load = loadWatcher();
    const results = [];
    for (const [name, scenario] of chosen) {
      const project = createProject(bed, scenario, work);
      const setup = await measure(process.execPath, [BERTH_BIN, "setup"], { cwd: project.dir, env });
      if (setup.code !== 0) throw new Error(`berth setup (${name}) failed:\n${setup.stdout}${setup.stderr}`);
      console.log(`${scenario.title}: berth setup ${(setup.wallMs / 1000).toFixed(2)} s`);
      const deploy = async (tool, extra = []) => {
        const before = acceptedConnections(bed);
        const berth = tool !== "kamal";
        const [command, args] = berth ? [process.execPath, [BERTH_BIN, "deploy", "-P", "--output", "json", ...extra]] : [kamal, ["deploy", "-P", ...extra]];
        const result = tool === "berth-kex" ? await withKamalKex(bed, () => measure(command, args, { cwd: project.dir, env })) : await measure(command, args, { cwd: project.dir, env });
        if (result.code !== 0) throw new Error(`${tool} deploy -P (${name}) failed:\n${result.stdout}${result.stderr}`);
        await project.checkServing();
        return { ...result, connections: acceptedConnections(bed) - before, ...commandCounts(berth ? "berth" : "kamal", result.stdout) };
      };
      // One unmeasured deploy each: both leave the servers in the state the rounds start from.
      await deploy("berth");
      await deploy("kamal");
      const samples = { berth: [], kamal: [], "berth-kex": [] };
      for (let round = 1; round <= opts.rounds; round++) {
        for (const tool of round % 2 === 1 ? ["berth", "kamal", "berth-kex"] : ["kamal", "berth", "berth-kex"]) {
          const sample = await deploy(tool);
          samples[tool].push(sample);
          console.log(
            `  round ${round} ${tool.padEnd(5)} ${(sample.wallMs / 1000).toFixed(2)} s, CPU ${(sample.treeCpuMs / 1000).toFixed(2)} s, ` +
              `${sample.connections} SSH connections, ${sample.commands} remote commands, ${sample.requests} API requests (load ${os.loadavg()[0].toFixed(2)})`,
          );
        }
      }
      let steps;
      if (opts.log) steps = await logSteps(name, deploy);
      results.push({ name, scenario, samples, steps });
    }
    report(results, load.stop());
  } finally {
    await bed.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A tiny app (busybox httpd) in a fresh git repository, its own service and proxy host on the bed. */
function createProject(bed, scenario, work) {
  const dir = fs.mkdtempSync(path.join(work, `${scenario.service}-`));
  fs.mkdirSync(path.join(dir, "config"));
  fs.mkdirSync(path.join(dir, ".kamal"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), 'FROM berth-test/busybox:1\nCOPY start.sh worker.sh /\nCMD ["sh", "/start.sh"]\n');
  fs.writeFileSync(path.join(dir, "worker.sh"), "#!/bin/sh\ntrap 'exit 0' TERM INT\nwhile true; do sleep 1; done &\nwait\n");
  fs.writeFileSync(
    path.join(dir, "start.sh"),
    '#!/bin/sh\nmkdir -p /www && echo ok > /www/up && echo "$KAMAL_VERSION" > /www/version\ntrap \'exit 0\' TERM INT\nhttpd -f -p 80 -h /www &\nwait\n',
  );
  fs.writeFileSync(path.join(dir, ".kamal/secrets"), "REGISTRY_PASSWORD=bench-registry-password\nSECRET_TOKEN=bench-secret-token\n");
  fs.writeFileSync(path.join(dir, ".gitignore"), ".kamal/secrets\n");
  fs.writeFileSync(path.join(dir, ".dockerignore"), ".git\n.kamal\n");
  const ip = (index) => bed.hosts[index - 1].ip;
  const servers = Object.entries(scenario.roles).flatMap(([role, hosts]) =>
    role === "web" ? [`  web:`, ...hosts.map((index) => `    - ${ip(index)}`)] : [`  ${role}:`, "    hosts:", ...hosts.map((index) => `      - ${ip(index)}`), "    cmd: sh /worker.sh"],
  );
  const host = `${scenario.service}.bench.test`;
  fs.writeFileSync(
    path.join(dir, "config/deploy.yml"),
    [
      `service: ${scenario.service}`,
      `image: berth-bench/${scenario.service}`,
      "registry:",
      `  server: ${bed.registry}`,
      "  username: bench",
      "  password:",
      "    - REGISTRY_PASSWORD",
      "servers:",
      ...servers,
      "env:",
      "  secret:",
      "    - SECRET_TOKEN",
      "proxy:",
      `  host: ${host}`,
      "  app_port: 80",
      "  healthcheck:",
      "    interval: 1",
      "builder:",
      "  arch: amd64",
      "ssh:",
      `  config: ${bed.sshConfigPath}`,
      "drain_timeout: 2",
      "readiness_delay: 0",
      "",
    ].join("\n"),
  );
  const version = commitAll(dir, "bench", { init: true });
  return {
    dir,
    /** Every web host answers through its proxy with this version. */
    async checkServing() {
      for (const index of scenario.roles.web) {
        const { status, text } = await get(ip(index), "/version", host);
        if (status !== 200 || text.trim() !== version) throw new Error(`${ip(index)} served ${status} "${text.trim()}", expected ${version}`);
      }
    },
  };
}

/** GET with a Host header of our choosing (fetch won't send one). */
function get(address, requestPath, host) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: address, path: requestPath, headers: { Host: host }, timeout: 5000 }, (response) => {
      let text = "";
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode, text }));
    });
    request.on("timeout", () => request.destroy(new Error(`GET http://${address}${requestPath}: no answer in 5 s`)));
    request.on("error", reject);
  });
}

/**
 * Runs `work` with the key exchange Kamal's net-ssh uses (curve25519-sha256) first in the bed's
 * ssh config, which Berth's ssh reads: Berth's default is OpenSSH's, whose post-quantum hybrid
 * (sntrup761x25519-sha512 on OpenSSH 9.2) costs the client ~60 ms of CPU per connection.
 */
async function withKamalKex(bed, work) {
  const original = fs.readFileSync(bed.sshConfigPath, "utf8");
  fs.writeFileSync(bed.sshConfigPath, `Host *\n  KexAlgorithms curve25519-sha256\n\n${original}`);
  try {
    return await work();
  } finally {
    fs.writeFileSync(bed.sshConfigPath, original);
  }
}

/** SSH connections the bed's sshds accepted so far (sshd -e logs each to the host's boot.log). */
function acceptedConnections(bed) {
  let count = 0;
  for (const host of bed.hosts) {
    const log = path.join(bed.workDir, host.name, "boot.log");
    if (fs.existsSync(log)) count += (fs.readFileSync(log, "utf8").match(/Accepted publickey/g) ?? []).length;
  }
  return count;
}

/** Remote commands and Docker API requests: Berth's `finish` event; Kamal's "Running … on <host>" lines. */
function commandCounts(tool, stdout) {
  if (tool === "berth") {
    const finish = stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line)).find((event) => event.event === "finish");
    return { commands: finish?.commands ?? NaN, requests: finish?.dockerApiRequests ?? NaN };
  }
  // eslint-disable-next-line no-control-regex -- Kamal colours its lines even off a terminal
  const plain = stdout.replace(/\x1b\[[0-9;]*m/g, "");
  const remote = plain.split("\n").filter((line) => /\bRunning .* on (?!localhost\b)\S+$/.test(line) || /\bUploading .* (to|on) \S+/.test(line));
  return { commands: remote.length, requests: 0 };
}

async function logSteps(name, deploy) {
  fs.mkdirSync(opts.log, { recursive: true });
  const berth = await deploy("berth", ["-v"]);
  const kamal = await deploy("kamal", ["-v"]);
  fs.writeFileSync(path.join(opts.log, `${name}-berth.jsonl`), berth.stdout + berth.stderr);
  fs.writeFileSync(path.join(opts.log, `${name}-kamal.log`), kamal.stdout + kamal.stderr);
  return { berth: berthSteps(berth.stdout), kamal: kamalSteps(kamal.stdout), berthMs: berth.wallMs, kamalMs: kamal.wallMs };
}

/** Berth with Kamal's key exchange: wall, ratio to Kamal per round, CPU. */
function kexColumn(samples) {
  const kex = samples["berth-kex"];
  if (kex.length === 0) return "—";
  const per = ratios(kex.map((sample) => sample.wallMs), samples.kamal.map((sample) => sample.wallMs));
  return `${spread(kex.map((sample) => sample.wallMs / 1000), 2, " s")}; ÷ Kamal **${fmt(median(per))}** (${per.map((value) => fmt(value)).join(", ")}); CPU ${fmt(median(kex.map((sample) => sample.treeCpuMs / 1000)), 2)} s`;
}

function report(results, loadLine) {
  const rows = results.map(({ scenario, samples }) => {
    const per = ratios(samples.berth.map((sample) => sample.wallMs), samples.kamal.map((sample) => sample.wallMs));
    const ratio = median(per);
    const pair = (key, digits = 0) => `${fmt(median(samples.berth.map((sample) => sample[key])), digits)} / ${fmt(median(samples.kamal.map((sample) => sample[key])), digits)}`;
    return [
      scenario.title,
      spread(samples.berth.map((sample) => sample.wallMs / 1000), 2, " s"),
      spread(samples.kamal.map((sample) => sample.wallMs / 1000), 2, " s"),
      `**${fmt(ratio)}** (${per.map((value) => fmt(value)).join(", ")})`,
      scenario.target === undefined ? "report" : `≤ ${scenario.target}: ${verdict(ratio <= scenario.target)}`,
      pair("connections"),
      pair("commands"),
      pair("requests"),
      `${fmt(median(samples.berth.map((sample) => sample.treeCpuMs / 1000)), 2)} / ${fmt(median(samples.kamal.map((sample) => sample.treeCpuMs / 1000)), 2)}`,
      kexColumn(samples),
    ];
  });
  const body = [
    "`berth deploy -P` and `kamal deploy -P` (Kamal 2.12), image unchanged, on the same test servers (testbed/: namespaces with their own sshd and dockerd), " +
      `taking turns (${opts.rounds} rounds, alternating which goes first), after one unmeasured deploy of each. ` +
      "Each deploy is checked: every web host serves the version through the proxy. Wall time median (min–max); ratios per round.",
    "SSH connections: those the servers' sshds accepted. Remote commands: Berth's count (finish event); Kamal's `Running … on <host>` lines. " +
      "CPU: the deploying process tree (cpuacct cgroup: Node or Ruby plus every ssh process), seconds.",
    "The last column is Berth again in each round with `KexAlgorithms curve25519-sha256` in the ssh config, the key exchange Kamal's net-ssh uses: " +
      "Berth's ssh otherwise uses OpenSSH's default, on OpenSSH 9.2 the post-quantum hybrid sntrup761x25519-sha512, which costs the client ~60 ms of CPU per connection (README, \"differs from Kamal\"). The targets are judged on Berth's default.",
    `Command: \`node bench/deploy.mjs --rounds ${opts.rounds} --scenarios ${opts.scenarios}\`; ${loadLine}.`,
    "",
    table(["app, hosts", "Berth wall", "Kamal wall", "Berth ÷ Kamal (per round)", "target", "SSH connections Berth / Kamal", "remote commands Berth / Kamal", "Docker API requests Berth / Kamal", "CPU s Berth / Kamal", "Berth with Kamal's key exchange: wall; ÷ Kamal; CPU"], rows),
    ...results.filter((result) => result.steps !== undefined).flatMap(({ scenario, steps }) => [
      "",
      `Where the time goes, ${scenario.title} (one more deploy of each with -v: Berth ${fmt(steps.berthMs / 1000)} s, Kamal ${fmt(steps.kamalMs / 1000)} s):`,
      "",
      "```",
      "Berth:",
      steps.berth,
      "",
      "Kamal:",
      steps.kamal,
      "```",
    ]),
  ].join("\n");
  console.log(`\n${body}\n`);
  console.log(`written to ${writeSection("deploy", "Deploy against Kamal (1)", body)}`);
}

await main();

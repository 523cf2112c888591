// Image delivery without a registry (registry.server: localhost:5555, issue #13): how long the
// hosts take to get a new version of an image that differs from the one they run by one small
// layer, Berth's way (each host pulls from Berth over its SSH connection, fetching only the
// layer it lacks) against `docker save IMAGE | ssh HOST docker load` of the same image, on every
// host at once. Also the bytes Berth sent each host, for the first deploy and the next.
//
// Starts the project's test bed without its registry (root; network namespaces with their own
// sshd and dockerd), runs `berth setup` once, then per round: a new release (a new 1 MB layer on a
// ~100 MB Node image) built here, delivered by `berth build pull` (wall time of the real CLI, node
// start-up and SSH connections included) and, after the hosts drop it again, by
// `docker save | ssh docker load` per host in parallel. Medians of the rounds.
//
// With --payload MB, the app's own layer is that many MB of compressible text (base64) instead of
// 1 MB of random bytes; each round then also pulls the same version again after the hosts drop
// it (what a redeploy, another destination or a rollback to an image the hosts pruned costs), and
// every pull reports Berth's CPU seconds (user + system, of the berth process and its children:
// docker save, ssh).
//
// Usage: node bench/delivery.mjs [--runs 5] [--hosts 2] [--payload MB]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { commitAll, projectGit } from "./lib/git.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const runs = option("runs", 5);
const hostCount = option("hosts", 2);
const payloadMb = option("payload", 0);
const IMAGE = "localhost:5555/berth-bench-delivery/app";

if (process.getuid?.() !== 0) {
  console.error("bench/delivery.mjs: needs root (the test bed creates network namespaces)");
  process.exit(1);
}

console.log("Building berth and compiling the test bed…");
execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-delivery-bench-"));
execFileSync(
  process.execPath,
  [
    path.join(root, "node_modules/typescript/bin/tsc"),
    "--outDir", work,
    "--rootDir", root,
    "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2023",
    "--skipLibCheck", "--types", "node",
    path.join(root, "testbed/index.ts"),
  ],
  { cwd: root, stdio: "inherit" },
);
fs.cpSync(path.join(root, "testbed/scripts"), path.join(work, "testbed/scripts"), { recursive: true });
fs.symlinkSync(path.join(root, "node_modules"), path.join(work, "node_modules"));
// The test bed finds its scripts from the package root (src/util/package-root.ts): this directory.
fs.writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: "berth", type: "module" }));
const testbed = await import(pathToFileURL(path.join(work, "testbed/index.js")).href);

const berthBin = path.join(root, "dist/bundle/berth.js");
let bed;
try {
  await testbed.ensureLocalDocker();
  bed = await testbed.startTestbed({ hosts: hostCount, name: "delivery-bench", registry: false });
  await testbed.ensureBaseImages();
  const project = createProject(bed);
  // Berth's caches (its image cache among them) in the bench's directory: each run starts empty.
  const env = { ...process.env, BERTH_PROXY_BASE_IMAGE: "berth-test/node:20", DOCKER_CONFIG: path.join(work, "docker"), XDG_CACHE_HOME: path.join(work, "cache"), CI: "true", VERSION: "" };
  const timeFile = path.join(work, "time");
  const berth = (...command) => {
    const started = performance.now();
    const result = spawnSync("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, process.execPath, berthBin, ...command], { cwd: project.dir, env, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`berth ${command.join(" ")} failed:\n${result.stdout}${result.stderr}`);
    const cpu = fs.readFileSync(timeFile, "utf8").trim().split(/\s+/).slice(-2).map(Number).reduce((a, b) => a + b, 0);
    // What Berth sent each host, from its JSON `images-sent` events.
    const events = result.stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
    const sent = Object.fromEntries(events.filter((event) => event.event === "images-sent").map((event) => [event.host, event]));
    return { ...result, sent, cpu, seconds: (performance.now() - started) / 1000 };
  };

  const setup = berth("setup", "--output", "json");
  console.log(`berth setup (fresh servers; app and proxy images from this machine's Docker): ${setup.seconds.toFixed(2)} s`);
  printSent("  sent", setup.sent);

  const berthSamples = [];
  const baselineSamples = [];
  const againSamples = [];
  for (let round = 1; round <= runs; round++) {
    const version = project.release(`round ${round}`);
    berth("build", "push");
    const image = `${IMAGE}:${version}`;
    const size = imageBytes(image);
    // Alternate which goes first, so neither always meets a warmer cache.
    const order = round % 2 === 1 ? ["berth", "baseline"] : ["baseline", "berth"];
    for (const which of order) {
      await dropOnHosts(bed, image);
      if (which === "berth") {
        const pulled = berth("build", "pull", "--output", "json");
        const sent = Object.values(pulled.sent);
        berthSamples.push({ seconds: pulled.seconds, bytes: sent.reduce((sum, counts) => sum + counts.bytesWritten, 0) / Math.max(1, sent.length), layers: sent[0]?.layers });
        berthSamples.at(-1).cpu = pulled.cpu;
        console.log(`  round ${round}: berth build pull ${pulled.seconds.toFixed(2)} s, CPU ${pulled.cpu.toFixed(2)} s, ${megabytes(berthSamples.at(-1).bytes)} per host (${sent[0]?.layers} layer) (load ${os.loadavg()[0].toFixed(2)})`);
        if (payloadMb > 0) {
          await dropOnHosts(bed, image);
          const again = berth("build", "pull", "--output", "json");
          againSamples.push({ seconds: again.seconds, cpu: again.cpu });
          console.log(`  round ${round}: the same version again: berth build pull ${again.seconds.toFixed(2)} s, CPU ${again.cpu.toFixed(2)} s (load ${os.loadavg()[0].toFixed(2)})`);
        }
      } else {
        const seconds = await saveAndLoad(bed, image);
        baselineSamples.push({ seconds, bytes: size });
        console.log(`  round ${round}: docker save | ssh docker load ${seconds.toFixed(2)} s, ${megabytes(size)} per host (load ${os.loadavg()[0].toFixed(2)})`);
      }
    }
  }
  const median = (samples) => samples.map((sample) => sample.seconds).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  console.log("");
  console.log(`Second deploy's delivery, image of ${megabytes(imageBytes(`${IMAGE}:latest`))} differing by one ${megabytes(berthSamples[0]?.bytes ?? 0)} layer, ${hostCount} servers, ${runs} rounds:`);
  const medianCpu = (samples) => samples.map((sample) => sample.cpu).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  console.log(`  berth build pull (from this machine's Docker over SSH): median ${median(berthSamples).toFixed(2)} s, CPU ${medianCpu(berthSamples).toFixed(2)} s, ${megabytes(berthSamples[0]?.bytes ?? 0)} sent per host`);
  if (againSamples.length > 0) console.log(`  the same version again (hosts dropped it):              median ${median(againSamples).toFixed(2)} s, CPU ${medianCpu(againSamples).toFixed(2)} s`);
  console.log(`  docker save | ssh docker load (per host, in parallel):  median ${median(baselineSamples).toFixed(2)} s, ${megabytes(baselineSamples[0]?.bytes ?? 0)} sent per host`);
  console.log(`  load average now: ${os.loadavg().map((load) => load.toFixed(2)).join(" ")} on ${os.cpus().length} CPUs`);
} finally {
  await bed?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

function printSent(label, sent) {
  for (const [host, counts] of Object.entries(sent ?? {})) {
    console.log(`${label} ${host}: ${counts.layers} layers ${megabytes(counts.layerBytes)} (${megabytes(counts.layerContentBytes)} uncompressed), manifests and configs ${megabytes(counts.manifestBytes + counts.configBytes)}, ${counts.bytesWritten} bytes in all`);
  }
}

function megabytes(bytes) {
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

/** The size of `docker save IMAGE`: what the baseline sends each host. */
function imageBytes(image) {
  return Number(execFileSync("sh", ["-c", `docker save ${image} | wc -c`], { encoding: "utf8" }).trim());
}

/** Removes the image from every host, so the next delivery starts from the previous version. */
async function dropOnHosts(bed, image) {
  await Promise.all(bed.hosts.map((host) => host.exec(`docker image rm ${image} >/dev/null 2>&1; true`)));
}

/** `docker save IMAGE | ssh HOST docker load` for every host at once; wall seconds. */
async function saveAndLoad(bed, image) {
  const started = performance.now();
  await Promise.all(
    bed.hosts.map(
      (host) =>
        new Promise((resolve, reject) => {
          const child = spawn("sh", ["-c", `docker save ${image} | ssh -F ${bed.sshConfigPath} root@${host.ip} docker load`], { stdio: ["ignore", "ignore", "pipe"] });
          let stderr = "";
          child.stderr.on("data", (chunk) => (stderr += chunk));
          child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`save | load to ${host.ip} failed: ${stderr}`))));
        }),
    ),
  );
  return (performance.now() - started) / 1000;
}

/** A Node-based app (the ~100 MB test Node image) whose own layer is a 1 MB file that changes with each release. */
function createProject(bed) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-delivery-bench-app-"));
  fs.mkdirSync(path.join(dir, "config"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), 'FROM berth-test/node:20\nCOPY start.sh payload.bin /app/\nCMD ["sh", "/app/start.sh"]\n');
  fs.writeFileSync(
    path.join(dir, "start.sh"),
    '#!/bin/sh\nmkdir -p /www && echo ok > /www/up && echo "$KAMAL_VERSION" > /www/version\ntrap \'exit 0\' TERM INT\nhttpd -f -p 80 -h /www &\nwait\n',
  );
  fs.writeFileSync(
    path.join(dir, "config/deploy.yml"),
    `service: app
image: berth-bench-delivery/app
registry:
  server: localhost:5555
servers:
  web:
${bed.hosts.map((host) => `    - ${host.ip}`).join("\n")}
proxy:
  app_port: 80
builder:
  arch: amd64
ssh:
  config: ${bed.sshConfigPath}
drain_timeout: 2
`,
  );
  const release = (text) => {
    fs.writeFileSync(path.join(dir, "payload.bin"), payloadMb > 0 ? randomBytes(Math.round((payloadMb * 1_000_000 * 3) / 4)).toString("base64") : randomBytes(1_000_000));
    fs.writeFileSync(path.join(dir, "release.txt"), text);
    return commitAll(dir, text);
  };
  projectGit(dir)("init", "-q", "-b", "main");
  release("first");
  return { dir, release };
}

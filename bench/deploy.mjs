// Deploy benchmark: wall time of `berth deploy` with the image unchanged (same commit, already
// built and running) on two test servers, plus the SSH connections, remote commands and Docker API
// requests it used (from the JSON `finish` event). Starts the project's test bed (root; network namespaces with
// their own sshd and dockerd), runs `berth setup` once, then times N deploys of the real CLI
// (`node dist/bundle/berth.js`, the package's executable, node start-up included).
//
// Usage: node bench/deploy.mjs [--runs 5] [--hosts 2] [--log FILE]
// Needs root and Debian's docker.io, openssh-server, docker-registry (see testbed/README.md).
// The figures depend on the machine's load: the load average is printed with them.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const runs = option("runs", 5);
const hostCount = option("hosts", 2);
/** `--log FILE`: one more deploy with -v, its output written to FILE (to see where the time goes). */
const logFile = args.includes("--log") ? args[args.indexOf("--log") + 1] : undefined;

if (process.getuid?.() !== 0) {
  console.error("bench/deploy.mjs: needs root (the test bed creates network namespaces)");
  process.exit(1);
}

// The CLI as users run it, and the test bed compiled from its TypeScript.
console.log("Building berth and compiling the test bed…");
execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-deploy-bench-"));
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
// Files the test bed uses next to its modules (the host boot script), and its node_modules.
fs.cpSync(path.join(root, "testbed/scripts"), path.join(work, "testbed/scripts"), { recursive: true });
fs.symlinkSync(path.join(root, "node_modules"), path.join(work, "node_modules"));
// The test bed finds its scripts from the package root (src/util/package-root.ts): this directory.
fs.writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: "berth", type: "module" }));
const testbed = await import(pathToFileURL(path.join(work, "testbed/index.js")).href);

const berthBin = path.join(root, "dist/bundle/berth.js");
let bed;
try {
  await testbed.ensureLocalDocker();
  bed = await testbed.startTestbed({ hosts: hostCount, name: "deploy-bench" });
  await testbed.ensureBaseImages({ push: true });
  const project = createProject(bed);
  const env = { ...process.env, BERTH_PROXY_BASE_IMAGE: "berth-test/node:20", DOCKER_CONFIG: path.join(work, "docker"), CI: "true", VERSION: "" };
  const berth = (...command) => {
    const started = performance.now();
    const result = spawnSync(process.execPath, [berthBin, ...command], { cwd: project, env, encoding: "utf8" });
    return { ...result, seconds: (performance.now() - started) / 1000 };
  };

  const setup = berth("setup");
  if (setup.status !== 0) throw new Error(`berth setup failed:\n${setup.stdout}${setup.stderr}`);
  console.log(`berth setup (fresh servers, proxy image built and pushed): ${setup.seconds.toFixed(2)} s`);

  const samples = [];
  for (let i = 0; i < runs; i++) {
    const result = berth("deploy", "--output", "json");
    if (result.status !== 0) throw new Error(`berth deploy failed:\n${result.stdout}${result.stderr}`);
    const finish = result.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line)).find((event) => event.event === "finish");
    samples.push({ seconds: result.seconds, connections: finish?.connections, commands: finish?.commands, requests: finish?.dockerApiRequests });
    console.log(
      `  deploy ${i + 1}: ${result.seconds.toFixed(2)} s, ${finish?.connections} SSH connections, ${finish?.commands} remote commands, ` +
        `${finish?.dockerApiRequests} Docker API requests (load ${os.loadavg()[0].toFixed(2)})`,
    );
  }
  if (logFile !== undefined) {
    const verbose = berth("deploy", "-v");
    fs.writeFileSync(logFile, `${verbose.seconds.toFixed(2)} s, exit ${verbose.status}\n${verbose.stdout}${verbose.stderr}`);
  }
  const times = samples.map((sample) => sample.seconds).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log("");
  console.log(`berth deploy, image unchanged, ${hostCount} servers, ${runs} runs:`);
  console.log(`  wall time: median ${median.toFixed(2)} s, min ${times[0].toFixed(2)} s, max ${times.at(-1).toFixed(2)} s`);
  console.log(`  SSH connections per deploy: ${samples[0].connections} (one per host); remote commands: ${samples[0].commands}; Docker API requests: ${samples[0].requests}`);
  console.log(`  load average now: ${os.loadavg().map((load) => load.toFixed(2)).join(" ")} on ${os.cpus().length} CPUs`);
  console.log(`  target: <= 2-3 s (half of Kamal's 4-6 s)`);
} finally {
  await bed?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

/** A tiny app (busybox httpd) in a fresh git repository, deployed to every host of the bed. */
function createProject(bed) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bench-app-"));
  fs.mkdirSync(path.join(dir, "config"));
  fs.mkdirSync(path.join(dir, ".kamal"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), 'FROM berth-test/busybox:1\nCOPY start.sh /\nCMD ["sh", "/start.sh"]\n');
  fs.writeFileSync(
    path.join(dir, "start.sh"),
    '#!/bin/sh\nmkdir -p /www && echo ok > /www/up && echo "$KAMAL_VERSION" > /www/version\ntrap \'exit 0\' TERM INT\nhttpd -f -p 80 -h /www &\nwait\n',
  );
  fs.writeFileSync(path.join(dir, ".kamal/secrets"), "REGISTRY_PASSWORD=bench-registry-password\nSECRET_TOKEN=bench-secret-token\n");
  fs.writeFileSync(path.join(dir, ".gitignore"), ".kamal/secrets\n");
  fs.writeFileSync(
    path.join(dir, "config/deploy.yml"),
    `service: app
image: berth-bench/app
registry:
  server: ${bed.registry}
  username: bench
  password:
    - REGISTRY_PASSWORD
servers:
  web:
${bed.hosts.map((host) => `    - ${host.ip}`).join("\n")}
env:
  secret:
    - SECRET_TOKEN
proxy:
  app_port: 80
builder:
  arch: amd64
ssh:
  config: ${bed.sshConfigPath}
drain_timeout: 2
`,
  );
  const git = (...command) => execFileSync("git", command, { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("-c", "user.name=Bench", "-c", "user.email=bench@example.com", "add", "-A");
  git("-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "bench");
  return dir;
}

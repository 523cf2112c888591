// Proxy benchmark: wrk (2 threads, 50 connections, tiny responses, all on 127.0.0.1) against the
// app directly, through the Berth proxy, through HAProxy and through Caddy (Debian packages),
// then the Berth proxy's RSS with 1,000 idle keep-alive clients. Prints a table and the targets.
//
// Usage: node proxy/bench/run.mjs [--duration 10] [--rounds 3]
// Each round runs every contender once, in turn; the table shows the median round per contender.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const proxyRoot = path.resolve(here, "..");
const repoRoot = path.resolve(proxyRoot, "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const duration = option("duration", 10);
const rounds = option("rounds", 3);
const connections = 50;

const PORTS = { app: 19100, berth: 19180, berthHttps: 19543, haproxy: 19181, caddy: 19182 };
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-proxy-bench-"));
const children = [];

function have(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function ensureTools() {
  const missing = [["wrk", "wrk"], ["haproxy", "haproxy"], ["caddy", "caddy"]].filter(([command]) => !have(command)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  console.log(`Installing ${missing.join(", ")} from Debian…`);
  execFileSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

function ensureBuilt() {
  if (fs.existsSync(path.join(proxyRoot, "dist/bin/kamal-proxy.js"))) return;
  console.log("Building the proxy…");
  execFileSync("npx", ["tsc", "-b", "proxy/tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
}

function start(name, command, argv, extra = {}) {
  const log = fs.openSync(path.join(work, `${name}.log`), "a");
  const child = spawn(command, argv, { stdio: ["ignore", log, log], ...extra });
  children.push(child);
  return child;
}

function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listening on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function wrk(port, seconds) {
  const out = execFileSync("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}/`], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const ms = (label) => {
    const match = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!match) return NaN;
    const value = Number(match[1]);
    return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? "0";
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1] ?? "";
  return { rps, p50: ms("50"), p99: ms("99"), errors: Number(errors), socketErrors };
}

function rssKb(pid) {
  // The proxy and any children it has (it runs as one process today).
  const out = execFileSync("ps", ["-o", "pid=,ppid=,rss=", "-e"], { encoding: "utf8" });
  const rows = out.trim().split("\n").map((line) => line.trim().split(/\s+/).map(Number));
  const tree = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [child, parent] of rows) {
      if (tree.has(parent) && !tree.has(child)) {
        tree.add(child);
        grew = true;
      }
    }
  }
  return rows.filter(([p]) => tree.has(p)).reduce((sum, [, , rss]) => sum + rss, 0);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  ensureTools();
  ensureBuilt();
  const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`wrk -t2 -c${connections} -d${duration}s, ${rounds} round(s), ${os.cpus().length} cores, load average before: ${load}`);

  start("app", process.execPath, [path.join(here, "upstream.mjs"), String(PORTS.app)]);
  await waitForPort(PORTS.app);

  const home = path.join(work, "home");
  const socket = path.join(work, "kamal-proxy.sock");
  const env = { ...process.env, HOME: home, KAMAL_PROXY_SOCKET: socket };
  // The same node flags as the image's kamal-proxy wrapper (proxy/Dockerfile).
  const berth = start("berth", process.execPath, ["--max-semi-space-size=2", path.join(proxyRoot, "dist/bin/kamal-proxy.js"), "run", `--http-port=${PORTS.berth}`, `--https-port=${PORTS.berthHttps}`], { env });
  await waitForPort(PORTS.berth);
  execFileSync(process.execPath, [path.join(proxyRoot, "dist/bin/kamal-proxy.js"), "deploy", "bench", `--target=127.0.0.1:${PORTS.app}`], { env, stdio: "inherit" });

  const haproxyConfig = path.join(work, "haproxy.cfg");
  fs.writeFileSync(
    haproxyConfig,
    [
      "global", "  maxconn 4000",
      "defaults", "  mode http", "  timeout connect 5s", "  timeout client 60s", "  timeout server 60s", "  option http-keep-alive",
      "frontend bench", `  bind 127.0.0.1:${PORTS.haproxy}`, "  default_backend app",
      "backend app", "  http-reuse always", `  server app 127.0.0.1:${PORTS.app}`, "",
    ].join("\n"),
  );
  start("haproxy", "haproxy", ["-f", haproxyConfig, "-db"]);
  const caddyfile = path.join(work, "Caddyfile");
  fs.writeFileSync(caddyfile, `{\n  admin off\n  auto_https off\n}\nhttp://127.0.0.1:${PORTS.caddy} {\n  reverse_proxy 127.0.0.1:${PORTS.app}\n}\n`);
  start("caddy", "caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"], { env: { ...process.env, HOME: work, XDG_DATA_HOME: work, XDG_CONFIG_HOME: work } });
  await Promise.all([waitForPort(PORTS.haproxy), waitForPort(PORTS.caddy)]);

  const contenders = [
    ["app directly", PORTS.app],
    ["Berth proxy", PORTS.berth],
    ["HAProxy", PORTS.haproxy],
    ["Caddy", PORTS.caddy],
  ];
  for (const [, port] of contenders) wrk(port, 2); // warm-up (JIT, pools)
  const results = new Map(contenders.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, port] of contenders) {
      const result = wrk(port, duration);
      results.get(name).push(result);
      console.log(`  round ${round} ${name.padEnd(13)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms${result.errors ? `  non-2xx ${result.errors}` : ""}${result.socketErrors ? `  socket errors: ${result.socketErrors}` : ""}`);
    }
  }

  const summary = new Map();
  for (const [name, list] of results) {
    summary.set(name, { rps: median(list.map((r) => r.rps)), p50: median(list.map((r) => r.p50)), p99: median(list.map((r) => r.p99)) });
  }

  const idle = start("idle-clients", process.execPath, [path.join(here, "idle-clients.mjs"), `http://127.0.0.1:${PORTS.berth}/`, "1000"]);
  await new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error("idle clients did not connect")), 30_000);
    const check = setInterval(() => {
      if (fs.readFileSync(path.join(work, "idle-clients.log"), "utf8").includes("ready")) {
        clearTimeout(deadline);
        clearInterval(check);
        resolve();
      }
    }, 200);
  });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const rss = rssKb(berth.pid);
  idle.kill("SIGTERM");

  console.log("\n| contender | req/s | p50 (ms) | p99 (ms) |\n|---|---:|---:|---:|");
  for (const [name, value] of summary) console.log(`| ${name} | ${value.rps.toFixed(0)} | ${value.p50.toFixed(2)} | ${value.p99.toFixed(2)} |`);
  console.log(`\nBerth proxy RSS with 1,000 idle keep-alive clients: ${(rss / 1024).toFixed(1)} MB`);
  const berthResult = summary.get("Berth proxy");
  const haproxy = summary.get("HAProxy");
  const caddy = summary.get("Caddy");
  // Load from other work drifts between runs; each round's ratio compares runs seconds apart.
  const rounds_ = results.get("Berth proxy").map((berthRound, index) => ({
    haproxy: berthRound.rps / results.get("HAProxy")[index].rps,
    caddy: berthRound.rps / results.get("Caddy")[index].rps,
  }));
  console.log(
    `Per-round ratios (median): ${median(rounds_.map((r) => r.haproxy)).toFixed(2)}× HAProxy, ${median(rounds_.map((r) => r.caddy)).toFixed(2)}× Caddy ` +
      `(rounds: ${rounds_.map((r) => r.haproxy.toFixed(2)).join(", ")} vs HAProxy)`,
  );
  const checks = [
    [`req/s ≥ 0.6× HAProxy (${(berthResult.rps / haproxy.rps).toFixed(2)}×)`, berthResult.rps >= 0.6 * haproxy.rps],
    [`req/s ≥ 1.5× Caddy (${(berthResult.rps / caddy.rps).toFixed(2)}×)`, berthResult.rps >= 1.5 * caddy.rps],
    [`p99 ≤ 2× HAProxy's (${(berthResult.p99 / haproxy.p99).toFixed(2)}×)`, berthResult.p99 <= 2 * haproxy.p99],
    [`RSS < 100 MB with 1,000 idle clients (${(rss / 1024).toFixed(1)} MB)`, rss / 1024 < 100],
  ];
  console.log("\nTargets:");
  for (const [label, ok] of checks) console.log(`  ${ok ? "met " : "MISSED"}  ${label}`);
  const loadAfter = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`load average after: ${loadAfter} (figures are noisy when other work shares the 2 cores)`);
}

function cleanup() {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
}

try {
  await main();
} finally {
  cleanup();
  setTimeout(() => fs.rmSync(work, { recursive: true, force: true }), 500);
}

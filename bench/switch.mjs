// Switch benchmark (issue #16, 6): how fast Berth's proxy container (as `berth setup` runs it on a
// test server) moves traffic to a new target, and lets go of the old one. Each switch starts a new
// app container (bench/proxy/app.mjs, logging every request it receives with a timestamp) and
// asks the proxy to deploy to it through its control socket, as `berth deploy` does:
//   - switch gap, under steady traffic (4 keep-alive connections from host 2, each sending its
//     next request as soon as the last is answered): from the new target's last health check
//     before its first served request, to that request (both in the new target's log);
//   - drain of an idle old target, with no traffic: from the new target's first (passing) health
//     check to the deploy call's return, which waits for the old target to drain.
// Targets: both under 50 ms.
//
// Usage: node bench/switch.mjs [--rounds 5]
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { startProxyBed } from "./proxy/bed.mjs";
import { loadWatcher } from "./lib/machine.mjs";
import { options } from "./lib/options.mjs";
import { ROOT } from "./lib/paths.mjs";
import { writeSection } from "./lib/results.mjs";
import { fmt, median, spread, table, verdict } from "./lib/stats.mjs";

const opts = options({ rounds: 5 });
const TARGET_MS = 50;
const SERVICE = "switch";
const SERVICE_HOST = "switch.test";

async function main() {
  if (process.getuid?.() !== 0) throw new Error("bench/switch.mjs needs root (the test bed creates network namespaces)");
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  const { main: proxyCli } = await import(pathToFileURL(path.join(ROOT, "proxy/dist/cli/main.js")).href);
  console.log("Starting the test bed and Berth's proxy…");
  const setup = await startProxyBed("bench-switch");
  try {
    const { server, docker } = setup;
    // The proxy's control socket on its config volume, as the machine sees the host's /var/lib/docker.
    const volume = await docker(`docker inspect -f '{{range .Mounts}}{{if eq .Destination "/home/kamal-proxy/.config/kamal-proxy"}}{{.Source}}{{end}}{{end}}' kamal-proxy`);
    const stateDir = path.dirname(path.dirname(new URL(server.dockerHost).pathname));
    const socket = path.join(stateDir, "docker", path.relative("/var/lib/docker", volume), "kamal-proxy.sock");
    let sequence = 0;
    let current;
    /** Starts a new target container and deploys the service to it; returns its name and the call's start and end (epoch ms). */
    const switchTo = async () => {
      const name = `switch-${++sequence}`;
      await docker(`docker run -d --name ${name} --network kamal -e APP_VERSION=${name} -e LOG_REQUESTS=1 ${setup.appImage}`);
      let output = "";
      const io = { out: (text) => (output += text), err: (text) => (output += text), env: { KAMAL_PROXY_SOCKET: socket }, isTty: false };
      const started = Date.now();
      const code = await proxyCli(["deploy", SERVICE, "--target", `${name}:80`, "--host", SERVICE_HOST, "--health-check-path", "/up", "--drain-timeout", "5s"], io);
      const returned = Date.now();
      if (code !== 0) throw new Error(`deploy to ${name} failed: ${output}`);
      const old = current;
      current = name;
      return { name, old, started, returned };
    };
    const log = async (name) =>
      (await docker(`docker logs ${name}`)).split("\n").filter(Boolean).map((line) => {
        const [ts, requestPath] = line.split(" ");
        return { ts: Number(ts), path: requestPath };
      });
    const retire = async (name) => name && (await docker(`docker rm -f ${name}`));

    await switchTo(); // the service's first target
    const load = loadWatcher();
    const gaps = [];
    const drains = [];
    for (let round = 1; round <= opts.rounds; round++) {
      // Under traffic: the gap.
      const traffic = setup.spawnInClient([process.execPath, path.join(ROOT, "bench/proxy/traffic.mjs"), `http://${server.ip}/version`, SERVICE_HOST, "4", "30"]);
      while (!traffic.output.includes("started")) {
        if (traffic.exitCode !== null) throw new Error(`traffic stopped: ${traffic.output}`);
        await sleep(50);
      }
      await sleep(300);
      const busy = await switchTo();
      await sleep(300);
      traffic.kill("SIGTERM");
      await new Promise((resolve) => (traffic.exitCode !== null ? resolve() : traffic.once("close", resolve)));
      const answers = JSON.parse(/answers (.*)/.exec(traffic.output)?.[1] ?? "{}");
      const failed = Object.entries(answers).filter(([status]) => status !== "200").reduce((sum, [, count]) => sum + count, 0);
      const lateOnOld = (await log(busy.old)).filter((line) => line.path === "/version" && line.ts > busy.returned).length;
      const lines = (await log(busy.name)).filter((line) => line.ts >= busy.started);
      const first = lines.find((line) => line.path === "/version");
      const healthy = [...lines].reverse().find((line) => line.path === "/up" && (first === undefined || line.ts <= first.ts));
      if (first === undefined || healthy === undefined) throw new Error(`${busy.name} served no request after its switch`);
      gaps.push({ gap: first.ts - healthy.ts, call: busy.returned - busy.started, afterFirst: busy.returned - first.ts, failed, lateOnOld, answered: answers["200"] ?? 0 });
      await retire(busy.old);

      // No traffic: the old target is idle when the new one takes over.
      await sleep(200);
      const idle = await switchTo();
      const passed = (await log(idle.name)).find((line) => line.ts >= idle.started && line.path === "/up");
      if (passed === undefined) throw new Error(`${idle.name} logged no health check`);
      drains.push({ drain: idle.returned - passed.ts, call: idle.returned - idle.started });
      await retire(idle.old);
      load.sample();
      console.log(
        `  round ${round}: gap ${fmt(gaps.at(-1).gap, 1)} ms (deploy call ${fmt(gaps.at(-1).call, 0)} ms, ${gaps.at(-1).lateOnOld} late on the old target, ${gaps.at(-1).failed} failed), ` +
          `idle drain ${fmt(drains.at(-1).drain, 1)} ms (deploy call ${fmt(drains.at(-1).call, 0)} ms) (load ${fmt(os.loadavg()[0])})`,
      );
    }
    report(gaps, drains, load.stop());
  } finally {
    await setup.stop();
  }
}

function report(gaps, drains, loadLine) {
  const gap = gaps.map((item) => item.gap);
  const drain = drains.map((item) => item.drain);
  const body = [
    "Berth's proxy container on a test server (deployed by `berth setup`); each switch starts a new app container and deploys the proxy's " +
      "service to it through the control socket, as `berth deploy` does. Timestamps: the new target's own request log (app clock) and the " +
      `deploy call (machine clock; same kernel). ${opts.rounds} switches of each kind; median (min–max).`,
    `Command: \`node bench/switch.mjs --rounds ${opts.rounds}\`; ${loadLine}.`,
    "",
    table(
      ["measure", "ms, median (min–max)", "target"],
      [
        ["switch gap: new target healthy → first request served by it (under steady traffic)", spread(gap, 1), `< ${TARGET_MS} ms: ${verdict(median(gap) < TARGET_MS)}`],
        ["drain of an idle old target: new target healthy → deploy call returned", spread(drain, 1), `< ${TARGET_MS} ms: ${verdict(median(drain) < TARGET_MS)}`],
        ["under traffic: first request served by the new target → deploy call returned (the old target drained)", spread(gaps.map((item) => item.afterFirst), 1), ""],
        ["whole deploy call under traffic (container start → healthy → switch → drain)", spread(gaps.map((item) => item.call), 0), ""],
        [
          "under traffic: requests the old target served after the deploy call returned; failed answers (all switches)",
          `${gaps.reduce((sum, item) => sum + item.lateOnOld, 0)}; ${gaps.reduce((sum, item) => sum + item.failed, 0)} of ${gaps.reduce((sum, item) => sum + item.answered + item.failed, 0)}`,
          "0; 0",
        ],
        ["whole deploy call, idle", spread(drains.map((item) => item.call), 0), ""],
      ],
    ),
  ].join("\n");
  console.log(`\n${body}\n`);
  console.log(`written to ${writeSection("switch", "Switch gap and drain (6)", body)}`);
}

await main();

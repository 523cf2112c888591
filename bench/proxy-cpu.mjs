// CPU per request on the production path (issue #16, 3): where the machine's CPU goes while wrk
// (in host 2's namespace) sends small requests at 50 connections through Berth's proxy container
// and through the HAProxy container of bench/proxy.mjs, to the same app container. For each run:
// CPU time (user + system, from /proc) of the proxy's processes, of the app container, of host
// 1's dockerd and of the proxy container's containerd-shim (which carry the proxy's stdout: the
// access log), divided by the requests served. Prints; does not write RESULTS.md.
//
// Usage: node bench/proxy-cpu.mjs [--rounds 3] [--seconds 5]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { APP_HOST, appContainer, importHaproxyImage, startProxyBed } from "./proxy/bed.mjs";
import { wrk } from "./lib/load.mjs";
import { options } from "./lib/options.mjs";
import { ROOT } from "./lib/paths.mjs";
import { fmt, median } from "./lib/stats.mjs";

const opts = options({ rounds: 3, seconds: 5 });
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** utime + stime (ms) of each pid in host 1's PID namespace (all threads of each). */
async function cpuMs(server, pids) {
  const out = await server.exec(`for pid in ${pids.join(" ")}; do cat /proc/$pid/stat 2>/dev/null || echo "$pid (gone) x 0"; done`);
  return out.stdout.trim().split("\n").map((line) => {
    const fields = line.split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * TICK_MS;
  });
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error("bench/proxy-cpu.mjs needs root (the test bed creates network namespaces)");
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  const setup = await startProxyBed("bench-proxy-cpu");
  try {
    const { server, docker } = setup;
    const { name: app, ip: appIp } = await appContainer(docker);
    const haproxyImage = await importHaproxyImage(server, setup.work);
    const dir = path.join(setup.work, "haproxy");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "haproxy.cfg"),
      ["global", "  maxconn 1000", "defaults", "  mode http", "  timeout connect 5s", "  timeout client 60s", "  timeout server 60s", "  option http-keep-alive",
        "frontend bench", "  bind :80", "  default_backend app", "backend app", "  http-reuse always", `  server app ${appIp}:80`, ""].join("\n"),
    );
    await docker(`docker run -d --name bench-haproxy --network kamal -p 8080:80 -v ${dir}:/usr/local/etc/haproxy:ro ${haproxyImage}`);
    await sleep(1000);
    const pids = async (container) => (await docker(`docker top ${container} -eo pid`)).split("\n").slice(1).map(Number).filter(Boolean);
    const dockerd = Number((await docker("pidof dockerd")).split(" ")[0]);
    const contenders = [
      { name: "Berth proxy", container: "kamal-proxy", url: `http://${server.ip}:80/` },
      { name: "HAProxy", container: "bench-haproxy", url: `http://${server.ip}:8080/` },
    ];
    const appPids = await pids(app);
    for (const contender of contenders) {
      contender.pids = await pids(contender.container);
      contender.shim = Number(await docker(`ps -o ppid= -p ${contender.pids[0]}`));
      contender.rows = [];
      await wrk(setup.inClient, { url: contender.url, connections: 50, seconds: 2, headers: [`Host: ${APP_HOST}`] });
    }
    console.log(`host 1 dockerd: ${dockerd}; shims: ${contenders.map((c) => `${c.name} ${c.shim}`).join(", ")}`);
    const load = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const contender of round % 2 ? contenders : [...contenders].reverse()) {
        const groups = { proxy: contender.pids, app: appPids, dockerd: [dockerd], shim: [contender.shim] };
        const keys = Object.keys(groups);
        const all = keys.flatMap((key) => groups[key]);
        const sums = (values) => {
          let index = 0;
          return Object.fromEntries(keys.map((key) => [key, groups[key].reduce((sum) => sum + values[index++], 0)]));
        };
        const before = sums(await cpuMs(server, all));
        const result = await wrk(setup.inClient, { url: contender.url, connections: 50, seconds: opts.seconds, headers: [`Host: ${APP_HOST}`] });
        const after = sums(await cpuMs(server, all));
        const perRequest = Object.fromEntries(keys.map((key) => [key, ((after[key] - before[key]) / result.requests) * 1000]));
        contender.rows.push({ rps: result.rps, p99: result.p99, ...perRequest });
        console.log(
          `  round ${round} ${contender.name.padEnd(12)} ${fmt(result.rps, 0).padStart(6)} req/s p99 ${fmt(result.p99)} ms; CPU µs per request: proxy ${fmt(perRequest.proxy, 1)}, ` +
            `app ${fmt(perRequest.app, 1)}, dockerd ${fmt(perRequest.dockerd, 1)}, shim ${fmt(perRequest.shim, 1)} (load ${load()})`,
        );
      }
    }
    console.log("\nmedians, CPU µs per request:");
    for (const contender of contenders) {
      const m = (key) => fmt(median(contender.rows.map((row) => row[key])), 1);
      console.log(`  ${contender.name.padEnd(12)} ${m("rps")} req/s, proxy ${m("proxy")}, app ${m("app")}, dockerd ${m("dockerd")}, shim ${m("shim")}`);
    }
  } finally {
    await setup.stop();
  }
}

await main();

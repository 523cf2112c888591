// Proxy benchmark (issue #16, 3 and 4): the proxy on the production path. On a test server
// (host 1), `berth setup` runs the app behind Berth's proxy container (published ports 80/443);
// beside it an HAProxy container (Debian's haproxy, ports 8080/8443) proxies to the same app
// container, a second app container is published directly (port 8081), and a Node byte pipe
// (proxy/pipe.mjs, port 8082) shows Node's own I/O floor on the same path. The load comes from
// host 2's network namespace, through host 1's published ports, as from another server:
//   small responses at 50 and 500 connections, a 1 MB response (10 connections), HTTPS with
//   HTTP/1.1 (wrk) and HTTP/2 (h2load) at 50 connections;
// every contender once per workload in each round. Then each proxy's RSS with 10,000 idle
// keep-alive connections, and its peak RSS under the load above.
// Targets: ≥ 0.8× HAProxy's requests/s and p99 ≤ 1.5× HAProxy's (small, 50 connections); RSS with
// 10,000 idle connections < 150 MB.
//
// Usage: node bench/proxy.mjs [--rounds 5] [--seconds 5] [--idle 10000] [--profile FILE] [--workloads small,https]
//   --profile FILE  also runs a copy of the proxy container under --cpu-prof through one
//                   small-response run, and writes where its time goes to FILE
//   --workloads LIST only the workloads whose names start with these words, for quick
//                   before/after runs (prints its figures; RESULTS.md keeps the full run's)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { APP_HOST, appContainer, importHaproxyImage, startProxyBed } from "./proxy/bed.mjs";
import { h2load, wrk } from "./lib/load.mjs";
import { loadWatcher } from "./lib/machine.mjs";
import { options } from "./lib/options.mjs";
import { ROOT } from "./lib/paths.mjs";
import { summariseProfiles } from "./lib/profile.mjs";
import { writeSection } from "./lib/results.mjs";
import { fmt, median, ratios, table, verdict } from "./lib/stats.mjs";

const opts = options({ rounds: 5, seconds: 5, idle: 10_000, profile: "", workloads: "" });
const TARGETS = { rps: 0.8, p99: 1.5, idleMb: 150 };
const PROXY_CONTAINER = "kamal-proxy";
const HAPROXY_CONTAINER = "bench-haproxy";
const DIRECT_CONTAINER = "bench-direct";
const PIPE_CONTAINER = "bench-node-pipe";
const TITLES = { berth: "Berth proxy", haproxy: "HAProxy", pipe: "Node byte pipe", direct: "app directly" };

async function main() {
  if (process.getuid?.() !== 0) throw new Error("bench/proxy.mjs needs root (the test bed creates network namespaces)");
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  console.log("Starting the test bed and deploying the app behind Berth's proxy…");
  const setup = await startProxyBed("bench-proxy");
  try {
    const { server, docker } = setup;
    const { ip: appIp } = await appContainer(docker);
    const haproxyImage = await importHaproxyImage(server, setup.work);
    const haproxyDir = path.join(setup.work, "haproxy");
    fs.mkdirSync(haproxyDir);
    fs.copyFileSync(setup.tls.pem, path.join(haproxyDir, "bench.pem"));
    fs.writeFileSync(path.join(haproxyDir, "haproxy.cfg"), haproxyConfig(appIp));
    await docker(
      `docker run -d --name ${HAPROXY_CONTAINER} --network kamal --ulimit nofile=20000:20000 -p 8080:80 -p 8443:443 ` +
        `-v ${haproxyDir}:/usr/local/etc/haproxy:ro ${haproxyImage}`,
    );
    await docker(`docker run -d --name ${DIRECT_CONTAINER} --network kamal -p 8081:80 ${setup.appImage}`);
    // A proxy in Node that only copies bytes: how much of the gap to HAProxy is Node's I/O itself.
    const pipeDir = path.join(setup.work, "pipe");
    fs.mkdirSync(pipeDir);
    fs.copyFileSync(path.join(ROOT, "bench", "proxy", "pipe.mjs"), path.join(pipeDir, "pipe.mjs"));
    await docker(`docker run -d --name ${PIPE_CONTAINER} --network kamal -p 8082:80 -v ${pipeDir}:/pipe:ro ${setup.appImage} node /pipe/pipe.mjs 80 ${appIp} 80`);
    const contenders = {
      berth: { title: "Berth proxy", container: PROXY_CONTAINER, http: `http://${server.ip}:80`, https: `https://${APP_HOST}:443` },
      haproxy: { title: "HAProxy", container: HAPROXY_CONTAINER, http: `http://${server.ip}:8080`, https: `https://${APP_HOST}:8443` },
      pipe: { title: TITLES.pipe, container: PIPE_CONTAINER, http: `http://${server.ip}:8082`, https: undefined },
      direct: { title: "app directly", container: DIRECT_CONTAINER, http: `http://${server.ip}:8081`, https: undefined },
    };
    await checkAnswers(setup, contenders);

    const headers = [`Host: ${APP_HOST}`];
    const allWorkloads = [
      { name: "small, 50 connections", run: (c) => wrk(setup.inClient, { url: `${c.http}/`, connections: 50, seconds: opts.seconds, headers }) },
      { name: "small, 500 connections", run: (c) => wrk(setup.inClient, { url: `${c.http}/`, connections: 500, seconds: opts.seconds, headers }) },
      { name: "1 MB, 10 connections", run: (c) => wrk(setup.inClient, { url: `${c.http}/1mb`, connections: 10, seconds: opts.seconds, headers }) },
      { name: "HTTPS (HTTP/1.1), 50 connections", tls: true, run: (c) => wrk(setup.inClient, { url: `${c.https}/`, connections: 50, seconds: opts.seconds }) },
      { name: "HTTPS (h2, 10 streams each), 50 connections", tls: true, run: (c) => h2load(setup.inClient, { url: `${c.https}/`, connections: 50, seconds: opts.seconds }) },
    ];
    const only = opts.workloads === "" ? [] : opts.workloads.split(",");
    const workloads = allWorkloads.filter((workload) => only.length === 0 || only.some((word) => workload.name.startsWith(word)));
    if (workloads.length === 0) throw new Error(`--workloads ${opts.workloads}: no workload's name starts with that`);
    const load = loadWatcher();
    const peakRss = { berth: 0, haproxy: 0 };
    const results = new Map(workloads.map((workload) => [workload.name, { berth: [], haproxy: [], pipe: [], direct: [] }]));
    // Warm-up: every contender once (JIT, connection pools).
    for (const contender of Object.values(contenders)) await wrk(setup.inClient, { url: `${contender.http}/`, connections: 50, seconds: 2, headers });
    for (let round = 1; round <= opts.rounds; round++) {
      for (const workload of workloads) {
        const names = Object.keys(contenders).filter((name) => !workload.tls || contenders[name].https !== undefined);
        // Alternate the order, so no contender always runs right after another.
        for (const name of round % 2 === 1 ? names : [...names].reverse()) {
          const rss = sampleRssMidway(setup, contenders[name].container, opts.seconds);
          const result = await workload.run(contenders[name]);
          if (name in peakRss) peakRss[name] = Math.max(peakRss[name], await rss);
          results.get(workload.name)[name].push(result);
          console.log(
            `  round ${round} ${workload.name.padEnd(44)} ${contenders[name].title.padEnd(13)} ${fmt(result.rps, 0).padStart(7)} req/s` +
              `  p50 ${fmt(result.p50)} ms  p99 ${fmt(result.p99)} ms${result.mean !== undefined ? `  mean ${fmt(result.mean)} ms (${result.protocol})` : ""}` +
              `${result.non2xx ? `  non-2xx ${result.non2xx}` : ""}${result.socketErrors ? `  socket errors ${result.socketErrors}` : ""}${result.failed ? `  failed ${result.failed}` : ""}`,
          );
        }
      }
      load.sample();
    }
    const idle = {};
    for (const name of ["berth", "haproxy"]) idle[name] = await idleRss(setup, contenders[name], opts.idle);
    const loadLine = load.stop();
    if (workloads.length < allWorkloads.length) {
      report(workloads, results, peakRss, idle, loadLine, "", { write: false });
      return;
    }
    report(workloads, results, peakRss, idle, loadLine, "");
    if (opts.profile) {
      // After the figures are written: a failed profile loses nothing else.
      const note = await profile(setup, opts.profile, headers).catch((error) => `Profile: failed (${error.message.split("\n")[0]}).`);
      report(workloads, results, peakRss, idle, loadLine, note);
    }
  } finally {
    await setup.stop();
  }
}

function haproxyConfig(appIp) {
  return [
    "global",
    // More connections than the host's 20000 file descriptors allow for two per connection:
    // the idle clients each hold one, and their server side shares a few (http-reuse).
    "  maxconn 15000",
    "  no strict-limits",
    "defaults",
    "  mode http",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  option http-keep-alive",
    "frontend bench",
    "  bind :80",
    "  bind :443 ssl crt /usr/local/etc/haproxy/bench.pem alpn h2,http/1.1",
    "  default_backend app",
    "backend app",
    "  http-reuse always",
    `  server app ${appIp}:80`,
    "",
  ].join("\n");
}

/** Every contender answers the app's bytes, over HTTP and (the proxies) HTTPS with h2. */
async function checkAnswers(setup, contenders) {
  for (const [name, contender] of Object.entries(contenders)) {
    for (let attempt = 0; ; attempt++) {
      const check = await wrk(setup.inClient, { url: `${contender.http}/`, connections: 1, seconds: 1, threads: 1, headers: [`Host: ${APP_HOST}`] }).catch((error) => ({ requests: 0, raw: String(error) }));
      if (check.requests > 0 && check.non2xx === 0 && check.socketErrors === 0) break;
      if (attempt === 20) {
        const logs = await setup.server.exec(`docker logs --tail 20 ${contender.container}`);
        throw new Error(`${name} does not answer on ${contender.http}:\n${check.raw}\n${contender.container}'s log:\n${logs.stdout}${logs.stderr}`);
      }
      await sleep(500);
    }
    if (contender.https === undefined) continue;
    const h2 = await h2load(setup.inClient, { url: `${contender.https}/`, connections: 1, streams: 1, seconds: 1, threads: 1 });
    if (h2.protocol !== "h2" || h2.requests === 0 || h2.failed > 0) throw new Error(`${name} does not answer h2 on ${contender.https}:\n${h2.raw}`);
  }
}

/** The container's RSS halfway through a run of `seconds` (started now). */
async function sampleRssMidway(setup, container, seconds) {
  await sleep((seconds * 1000) / 2);
  return setup.rssMb(container).catch(() => 0);
}

/** RSS of a proxy holding `count` idle keep-alive connections from host 2 (each made one request). */
async function idleRss(setup, contender, count) {
  const before = await setup.rssMb(contender.container);
  const url = contender.http.replace(/^http:\/\/[^:/]+/, `http://${APP_HOST}`);
  const clients = setup.spawnInClient(["sh", "-c", 'ulimit -n "$(ulimit -Hn)"; exec "$@"', "sh", process.execPath, path.join(ROOT, "bench/proxy/idle-clients.mjs"), `${url}/`, String(count), "120"]);
  try {
    const deadline = Date.now() + 120_000;
    while (!/ready \d+/.test(clients.output)) {
      if (clients.exitCode !== null) throw new Error(`idle clients for ${contender.title} exited:\n${clients.output}`);
      if (Date.now() > deadline) throw new Error(`idle clients for ${contender.title} did not connect:\n${clients.output}`);
      await sleep(200);
    }
    await sleep(2000);
    const rss = await setup.rssMb(contender.container);
    console.log(`  ${contender.title}: RSS ${fmt(before, 1)} MB idle, ${fmt(rss, 1)} MB with ${clients.output.match(/ready (\d+)/)[1]} idle keep-alive connections`);
    return { before, rss, open: Number(clients.output.match(/ready (\d+)/)[1]) };
  } finally {
    clients.kill("SIGTERM");
    await new Promise((resolve) => (clients.exitCode !== null ? resolve() : clients.once("close", resolve)));
  }
}

/**
 * A copy of the proxy container (same image, same command) under --cpu-prof, given the same
 * service, through one small-response run; its profiles (main thread and workers) summarised.
 */
async function profile(setup, file, headers) {
  const { docker, server } = setup;
  const dir = path.join(setup.work, "profile");
  fs.mkdirSync(dir, { mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  const image = await docker(`docker inspect -f '{{.Config.Image}}' ${PROXY_CONTAINER}`);
  // Node refuses --cpu-prof in NODE_OPTIONS: the image's kamal-proxy wrapper, with it added.
  const profiled = `sed "s|exec node |exec node --cpu-prof --cpu-prof-dir=/profile |" "$(command -v kamal-proxy)" > /tmp/kamal-proxy-profiled && exec sh /tmp/kamal-proxy-profiled run`;
  await docker(`docker run -d --name bench-proxy-profile --network kamal -p 9080:80 -v ${dir}:/profile ${image} sh -c '${profiled}'`);
  try {
    const target = await docker(`docker ps --filter label=service=bench --filter label=role=web --format '{{.Names}}'`);
    for (let attempt = 0; ; attempt++) {
      const deployed = await server.exec(`docker exec bench-proxy-profile kamal-proxy deploy bench --target ${target}:80 --health-check-path /up`);
      if (deployed.code === 0) break;
      if (attempt === 20) {
        const logs = await server.exec("docker logs --tail 20 bench-proxy-profile");
        throw new Error(`deploying to the profiled proxy: ${deployed.stderr}; its log: ${logs.stdout}${logs.stderr}`);
      }
      await sleep(500);
    }
    const result = await wrk(setup.inClient, { url: `http://${server.ip}:9080/`, connections: 50, seconds: Math.max(opts.seconds, 10), headers });
    await docker("docker stop -t 30 bench-proxy-profile");
    const summary = summariseProfiles(dir, 30);
    fs.writeFileSync(file, `Berth proxy (a copy of the container, node --cpu-prof) under wrk -c50, small responses: ${fmt(result.rps, 0)} req/s while profiled\n\n${summary}\n`);
    console.log(`profile summary written to ${file}`);
    return `Profile: a copy of the proxy container under \`--cpu-prof\` through one small-response run at 50 connections; summary in \`${path.relative(ROOT, file)}\`.`;
  } finally {
    await server.exec("docker rm -f bench-proxy-profile");
  }
}

function report(workloads, results, peakRss, idle, loadLine, profileNote, { write = true } = {}) {
  const rows = [];
  for (const workload of workloads) {
    const entry = results.get(workload.name);
    const haproxy = entry.haproxy;
    for (const name of ["berth", "haproxy", "pipe", "direct"]) {
      const list = entry[name];
      if (list.length === 0) continue;
      const rpsRatio = ratios(list.map((result) => result.rps), haproxy.map((result) => result.rps));
      const p99Ratio = ratios(list.map((result) => result.p99), haproxy.map((result) => result.p99));
      const isH2 = list[0].mean !== undefined;
      rows.push([
        name === "berth" ? workload.name : "",
        TITLES[name],
        `${fmt(median(list.map((result) => result.rps)), 0)} (${fmt(Math.min(...list.map((result) => result.rps)), 0)}–${fmt(Math.max(...list.map((result) => result.rps)), 0)})`,
        name === "haproxy" ? "1" : `${fmt(median(rpsRatio))} (${rpsRatio.map((value) => fmt(value)).join(", ")})`,
        isH2 ? `mean ${fmt(median(list.map((result) => result.mean)))}` : fmt(median(list.map((result) => result.p50))),
        isH2 ? "—" : fmt(median(list.map((result) => result.p99))),
        isH2 || name === "haproxy" ? "" : `${fmt(median(p99Ratio))} (${p99Ratio.map((value) => fmt(value)).join(", ")})`,
        String(list.reduce((sum, result) => sum + (result.non2xx ?? 0) + (result.socketErrors ?? 0) + (result.failed ?? 0), 0)),
      ]);
    }
  }
  const small = results.get(workloads[0].name);
  const rpsRatio = median(ratios(small.berth.map((result) => result.rps), small.haproxy.map((result) => result.rps)));
  const p99Ratio = median(ratios(small.berth.map((result) => result.p99), small.haproxy.map((result) => result.p99)));
  const body = [
    "Host 1 of a test bed runs the app (bench/proxy/app.mjs in the bed's Node image) behind Berth's proxy container, deployed by `berth setup` " +
      "(ports 80/443, TLS from a self-signed certificate for bench.test); an HAProxy 2.6 container built from Debian's binary (ports 8080/8443, " +
      "`http-reuse always`, 2 threads) proxies to the same app container; a second app container is published directly (8081); a Node byte pipe (bench/proxy/pipe.mjs: " +
      "a connection to the app per client, bytes copied as they come, no parsing or logging) in the same Node image on 8082 shows Node's own I/O floor. " +
      `wrk -t2 (h2load -t2 for h2) runs in host 2's network namespace against host 1's published ports, ${opts.seconds} s per run, ` +
      `${opts.rounds} rounds, every contender once per workload and round (order alternating). Everything shares the machine's 2 cores.`,
    `Figures: median of rounds (min–max); ratios to HAProxy per round. Command: \`node bench/proxy.mjs --rounds ${opts.rounds} --seconds ${opts.seconds} --idle ${opts.idle}\`; ${loadLine}.`,
    "",
    table(["workload", "contender", "req/s", "÷ HAProxy (per round)", "p50 ms", "p99 ms", "p99 ÷ HAProxy (per round)", "errors"], rows),
    "",
    `Target (small, 50 connections): req/s ≥ ${TARGETS.rps}× HAProxy's: ${fmt(rpsRatio)}× — ${verdict(rpsRatio >= TARGETS.rps)}; ` +
      `p99 ≤ ${TARGETS.p99}× HAProxy's: ${fmt(p99Ratio)}× — ${verdict(p99Ratio <= TARGETS.p99)}.`,
    "",
    "### Proxy memory (4)",
    "",
    table(
      ["proxy", "RSS without clients (after the load runs), MB", `RSS with ${opts.idle.toLocaleString("en")} idle keep-alive connections, MB`, "peak RSS under the load above (sampled), MB"],
      ["berth", "haproxy"].map((name) => [name === "berth" ? "Berth proxy" : "HAProxy", fmt(idle[name].before, 1), `${fmt(idle[name].rss, 1)} (${idle[name].open} open)`, fmt(peakRss[name], 1)]),
    ),
    "",
    `Target: Berth proxy RSS with ${opts.idle.toLocaleString("en")} idle connections < ${TARGETS.idleMb} MB: ${fmt(idle.berth.rss, 1)} MB — ${verdict(idle.berth.rss < TARGETS.idleMb && idle.berth.open >= opts.idle)}. ` +
      "RSS is the sum over the container's processes (ps in the host's PID namespace); under load it is sampled halfway through each run.",
    ...(profileNote ? ["", profileNote] : []),
  ].join("\n");
  console.log(`\n${body}\n`);
  if (write) console.log(`written to ${writeSection("proxy", "Proxy on the production path (3, 4)", body)}`);
}

await main();

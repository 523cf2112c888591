// Target names resolved for every new upstream connection and every health check must not let
// lookups of dead names (removed containers: ~10 s to fail in Docker's DNS) stall live traffic.
// The built proxy runs in its own mount namespace whose /etc/resolv.conf points at a test DNS
// server that answers the live name at once and never answers the dead ones (glibc: 5 s × 2).
// Needs root (unshare --mount) and `npm run build` first.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { freePort } from "../helpers/pebble.js";
import { startDnsServer, type DnsServer } from "../support/dns-server.js";
import { sleep } from "../support/harness.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/bin/kamal-proxy.js");
const DEAD = ["dead-1.test", "dead-2.test", "dead-3.test", "dead-4.test", "dead-5.test", "dead-6.test"];

let dns: DnsServer;
let app: http.Server;
let appPort: number;
let child: ChildProcess;
let proxyPort: number;
let output = "";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-proxy-dns-"));
const env = { ...process.env, HOME: dir, KAMAL_PROXY_SOCKET: path.join(dir, "kamal-proxy.sock"), KAMAL_PROXY_WORKERS: "0" };

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const code = await main(argv, { out: () => undefined, err: (text) => (err += text), env, isTty: false });
  return { code, err };
}

/** GET through the proxy on a fresh client connection; status, body and how long it took. */
function timedGet(host: string): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port: proxyPort, path: "/", headers: { Host: host }, agent: false, timeout: 4_000 }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, ms: Date.now() - started }));
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve({ status: 0, body: "", ms: Date.now() - started }));
  });
}

beforeAll(async () => {
  expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
  // The live app closes every connection, so each request needs a new upstream connection (a lookup).
  app = http.createServer((request, response) => {
    response.setHeader("Connection", "close");
    response.end(request.url === "/up" ? "ok" : "live");
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appPort = (app.address() as net.AddressInfo).port;

  const dnsAddress = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  dns = await startDnsServer(dnsAddress, new Map([["live-app.test", "127.0.0.1"]]), new Set(DEAD));
  const resolvConf = path.join(dir, "resolv.conf");
  fs.writeFileSync(resolvConf, `nameserver ${dnsAddress}\noptions timeout:5 attempts:2\n`);

  proxyPort = await freePort();
  let httpsPort = await freePort();
  while (httpsPort === proxyPort) httpsPort = await freePort();
  const script = `mount --bind "$0" /etc/resolv.conf && exec "$1" "$2" run --http-port="$3" --https-port="$4"`;
  child = spawn("unshare", ["--mount", "sh", "-c", script, resolvConf, process.execPath, bin, String(proxyPort), String(httpsPort)], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 100 && !output.includes('"msg":"Server started"'); i++) await sleep(100);
  expect(output).toContain('"msg":"Server started"');
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  await dns?.close();
  app?.close();
});

describe("name lookups", () => {
  it("keeps a live target answering quickly while lookups of dead names are in flight", async () => {
    const live = await cli("deploy", "live", `--target=live-app.test:${appPort}`, "--host=live.test", "--deploy-timeout=5s");
    expect(live.code, live.err).toBe(0);
    // Six services whose containers are gone: their health checks keep looking their names up.
    for (const [index, name] of DEAD.entries()) {
      const dead = await cli("deploy", `dead-${index}`, `--target=${name}:80`, `--host=${name}`, "--force");
      expect(dead.code, dead.err).toBe(0);
    }
    await sleep(1_000);
    expect(new Set(dns.queries.filter((query) => query.includes("dead-"))).size).toBeGreaterThanOrEqual(4); // in flight

    const results = [];
    for (let i = 0; i < 5; i++) results.push(await timedGet("live.test"));
    expect(results.map((result) => `${result.status} ${result.body}`)).toEqual(Array(5).fill("200 live"));
    expect(Math.max(...results.map((result) => result.ms))).toBeLessThan(1_000);
    // The dead services answer 503 (no healthy target), and fast: their lookups are not waited for.
    const dead = await timedGet(DEAD[0]!);
    expect(dead.status).toBe(503);
    expect(dead.ms).toBeLessThan(1_000);
  });
});

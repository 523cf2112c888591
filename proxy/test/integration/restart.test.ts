// A proxy (re)starting with saved state (host reboot, `docker restart kamal-proxy`, app containers
// removed by hand): its control socket and listeners open at once instead of after health-checking
// the restored targets, requests to a restored service wait for its first passing check instead of
// getting 503, and a client that finds no socket yet waits for it (bounded) instead of failing.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { request, sleep, startApp, startProxy, type TestApp, type TestProxy } from "../support/harness.js";

const proxies: TestProxy[] = [];
const apps: TestApp[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.stop();
  for (const app of apps.splice(0)) await app.close();
  for (const server of servers.splice(0)) server.close();
});

async function proxyFor(dir?: string): Promise<TestProxy> {
  const proxy = await startProxy(dir === undefined ? {} : { dir });
  proxies.push(proxy);
  return proxy;
}

async function app(name: string, handler?: Parameters<typeof startApp>[1]): Promise<TestApp> {
  const started = await startApp(name, handler);
  apps.push(started);
  return started;
}

/** A target that accepts connections and never answers: its health checks time out. */
async function blackhole(): Promise<string> {
  const held: net.Socket[] = [];
  const server = net.createServer((socket) => held.push(socket));
  server.on("close", () => held.forEach((socket) => socket.destroy()));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

async function cli(socket: string, wait: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const env = { KAMAL_PROXY_SOCKET: socket, KAMAL_PROXY_SOCKET_WAIT: wait };
  const code = await main(argv, { out: (text) => (out += text), err: (text) => (err += text), env, isTty: false });
  return { code, out, err };
}

describe("restart with saved state", () => {
  it("answers commands and serves at once, though a restored target hangs its health checks", async () => {
    const first = await proxyFor();
    const live = await app("live");
    const gone = await app("gone");
    expect((await first.cli("deploy", "live", `--target=${live.address}`, "--host=live.test")).code).toBe(0);
    expect((await first.cli("deploy", "gone", `--target=${gone.address}`, "--host=gone.test", "--health-check-timeout=3s")).code).toBe(0);
    await first.stop();
    proxies.splice(proxies.indexOf(first), 1);
    // The "gone" app's container was removed by hand; its address now hangs instead of answering.
    const state = fs.readFileSync(first.statePath, "utf8");
    fs.writeFileSync(first.statePath, state.replaceAll(gone.address, await blackhole()));

    const started = Date.now();
    const second = await proxyFor(first.dir);
    expect(Date.now() - started).toBeLessThan(1_000); // was ≥ 3 s: the listeners waited for the hanging check
    const list = await cli(second.socket, "0s", "list");
    expect(list.code, list.err).toBe(0);
    expect(list.out).toContain("gone");
    expect((await request(`${second.httpUrl}/`, { headers: { Host: "live.test" } })).body).toBe("live");

    // A deploy right after the restart replaces the hanging target and serves the new version.
    const next = await app("gone-v2");
    const deployed = await cli(second.socket, "0s", "deploy", "gone", `--target=${next.address}`, "--host=gone.test", "--deploy-timeout=5s");
    expect(deployed.code, deployed.err).toBe(0);
    expect((await request(`${second.httpUrl}/`, { headers: { Host: "gone.test" } })).body).toBe("gone-v2");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("holds requests to a restored service until its target passes its first check, instead of answering 503", async () => {
    const first = await proxyFor();
    let ready = false;
    const slow = await app("slow", (req, res) => {
      if (req.url === "/up") {
        res.statusCode = ready ? 200 : 503;
        res.end();
        return;
      }
      res.end("slow");
    });
    ready = true;
    expect((await first.cli("deploy", "slow", `--target=${slow.address}`)).code).toBe(0);
    await first.stop();
    proxies.splice(proxies.indexOf(first), 1);
    ready = false; // as after a host reboot: the app's container is still booting
    setTimeout(() => (ready = true), 400).unref();
    const second = await proxyFor(first.dir);
    const started = Date.now();
    const response = await request(`${second.httpUrl}/`);
    expect(response).toMatchObject({ status: 200, body: "slow" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});

describe("a client before the socket", () => {
  it("waits for a proxy that is still starting, then runs the command", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-proxy-late-"));
    const socket = path.join(dir, "kamal-proxy.sock");
    const calling = cli(socket, "10s", "list");
    await sleep(500);
    await proxyFor(dir);
    const result = await calling;
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain("Service");
  });

  it("gives up after KAMAL_PROXY_SOCKET_WAIT with the clear message", async () => {
    const socket = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "berth-proxy-none-")), "kamal-proxy.sock");
    const started = Date.now();
    const result = await cli(socket, "400ms", "list");
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(result).toMatchObject({ code: 1, err: `Error: no kamal-proxy is running (nothing listening on ${socket}); start it with "kamal-proxy run"\n` });
  });

  it("retries read-only calls through a socket that accepts and drops (an SSH forward with nothing behind it), but not deploys", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-proxy-forward-"));
    const socket = path.join(dir, "kamal-proxy.sock");
    const dropper = net.createServer((connection) => connection.destroy());
    await new Promise<void>((resolve) => dropper.listen(socket, resolve));
    const deploy = await cli(socket, "5s", "deploy", "a", "--target=127.0.0.1:1");
    expect(deploy.code).toBe(1);
    expect(deploy.err).toContain(`cannot reach kamal-proxy at ${socket}`);

    const version = cli(socket, "10s", "version");
    await sleep(500);
    await new Promise((resolve) => dropper.close(resolve));
    await proxyFor(dir);
    const result = await version;
    expect(result.out).toMatch(/^Client: .*\nServer: \d+\.\d+\.\d+\n$/);
  });
});

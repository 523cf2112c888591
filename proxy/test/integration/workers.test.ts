// The built `kamal-proxy run` with a worker thread sharing the HTTP listener: routing changes,
// drains and stop must reach requests served by either thread. Needs `npm run build` first.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { freePort } from "../helpers/pebble.js";
import { keepAliveAgent, request, sleep, startApp, type TestApp } from "../support/harness.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/bin/kamal-proxy.js");
let child: ChildProcess | null = null;
const apps: TestApp[] = [];

afterEach(async () => {
  if (child !== null && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  child = null;
  for (const app of apps.splice(0)) await app.close();
});

async function app(name: string, handler?: Parameters<typeof startApp>[1]): Promise<TestApp> {
  const started = await startApp(name, handler);
  apps.push(started);
  return started;
}

async function runProxy(
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-proxy-workers-")),
): Promise<{ port: number; dir: string; cli: (...argv: string[]) => Promise<{ code: number; err: string }>; output: () => string }> {
  expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
  const env = { ...process.env, HOME: dir, KAMAL_PROXY_SOCKET: path.join(dir, "kamal-proxy.sock"), KAMAL_PROXY_WORKERS: "1" };
  // Ports the OS just handed out: a random one may be in use (e.g. by an outgoing connection).
  const port = await freePort();
  let httpsPort = await freePort();
  while (httpsPort === port) httpsPort = await freePort();
  let output = "";
  child = spawn(process.execPath, [bin, "run", `--http-port=${port}`, `--https-port=${httpsPort}`], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 100 && !output.includes('"msg":"Server started"'); i++) await sleep(100);
  expect(output).toContain('"workers":1');
  const cli = async (...argv: string[]): Promise<{ code: number; err: string }> => {
    let err = "";
    const code = await main(argv, { out: () => undefined, err: (text) => (err += text), env, isTty: false });
    return { code, err };
  };
  return { port, dir, cli, output: () => output };
}

async function stopProxy(): Promise<void> {
  const exited = new Promise((resolve) => child!.once("exit", resolve));
  child!.kill("SIGTERM");
  await exited;
  child = null;
}

describe("worker threads (built binary)", () => {
  it("switches versions with zero failures across both threads and logs every request", async () => {
    const proxy = await runProxy();
    const v1 = await app("v1");
    const v2 = await app("v2");
    expect((await proxy.cli("deploy", "app", `--target=${v1.address}`)).code).toBe(0);
    const agent = keepAliveAgent();
    const seen: string[] = [];
    const failures: string[] = [];
    let stop = false;
    // Many keep-alive connections so both threads accept some.
    const loops = Array.from({ length: 16 }, async () => {
      for (let i = 0; i < 5_000 && !stop; i++) {
        try {
          const response = await request(`http://127.0.0.1:${proxy.port}/`, { agent });
          if (response.status === 200) seen.push(response.body);
          else failures.push(String(response.status));
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    });
    await sleep(300);
    expect((await proxy.cli("deploy", "app", `--target=${v2.address}`, "--drain-timeout=5s")).code).toBe(0);
    // Right after deploy returns, every connection (on either thread) gets v2.
    const after = await Promise.all(Array.from({ length: 20 }, () => request(`http://127.0.0.1:${proxy.port}/`, { agent })));
    expect(after.map((response) => response.body)).toEqual(Array(20).fill("v2"));
    stop = true;
    await Promise.all(loops);
    agent.destroy();
    expect(failures).toEqual([]);
    expect(seen).toContain("v1");
    expect(seen).toContain("v2");
    await sleep(100);
    const logged = proxy.output().split("\n").filter((line) => line.includes('"msg":"Request"')).length;
    expect(logged).toBeGreaterThanOrEqual(seen.length);
  });

  it("drains in-flight requests on the worker thread too, and stop/resume reach it", async () => {
    const proxy = await runProxy();
    const slow = await app("slow", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      setTimeout(() => res.end("slow-done"), 700);
    });
    const v2 = await app("v2");
    await proxy.cli("deploy", "app", `--target=${slow.address}`);
    // Enough parallel connections that both threads hold a slow request.
    const inflight = Array.from({ length: 8 }, () => request(`http://127.0.0.1:${proxy.port}/slow`));
    await sleep(150);
    const started = Date.now();
    expect((await proxy.cli("deploy", "app", `--target=${v2.address}`, "--drain-timeout=10s")).code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    for (const response of await Promise.all(inflight)) expect(response.body).toBe("slow-done");

    await proxy.cli("stop", "app", "--message=down", "--drain-timeout=1s");
    const stopped = await Promise.all(Array.from({ length: 8 }, () => request(`http://127.0.0.1:${proxy.port}/`)));
    expect(stopped.map((response) => response.status)).toEqual(Array(8).fill(503));
    await proxy.cli("resume", "app");
    const resumed = await Promise.all(Array.from({ length: 8 }, () => request(`http://127.0.0.1:${proxy.port}/`)));
    expect(resumed.map((response) => response.body)).toEqual(Array(8).fill("v2"));
  });
});

describe("pause across threads (built binary)", () => {
  it("holds requests on both threads while paused and releases them all on resume", async () => {
    const proxy = await runProxy();
    const a = await app("a");
    await proxy.cli("deploy", "app", `--target=${a.address}`);
    expect((await proxy.cli("pause", "app", "--max-pause=20s")).code).toBe(0);
    let answered = 0;
    const held = Array.from({ length: 10 }, () =>
      request(`http://127.0.0.1:${proxy.port}/`).then((response) => {
        answered++;
        return response;
      }),
    );
    await sleep(400);
    expect(answered).toBe(0);
    expect((await proxy.cli("resume", "app")).code).toBe(0);
    const responses = await Promise.all(held);
    expect(responses.map((response) => response.body)).toEqual(Array(10).fill("a"));
  });
});

describe("restart across threads (built binary)", () => {
  it("holds requests on both threads until a restored target passes its first check, instead of answering 503", async () => {
    let ready = true;
    const booting = await app("booting", (req, res) => {
      if (req.url === "/up") {
        res.statusCode = ready ? 200 : 503;
        res.end();
        return;
      }
      res.end("booting");
    });
    const first = await runProxy();
    expect((await first.cli("deploy", "app", `--target=${booting.address}`)).code).toBe(0);
    await stopProxy();
    ready = false; // as after a host reboot: the app is still starting when the proxy is back
    const second = await runProxy(first.dir);
    setTimeout(() => (ready = true), 500);
    const responses = await Promise.all(Array.from({ length: 16 }, () => request(`http://127.0.0.1:${second.port}/`)));
    expect(responses.map((response) => `${response.status} ${response.body}`)).toEqual(Array(16).fill("200 booting"));
  });
});

describe("shutdown (built binary)", () => {
  it("finishes in-flight requests on SIGTERM and exits 0 well within 10 s", async () => {
    const proxy = await runProxy();
    const slow = await app("slow", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      setTimeout(() => res.end("finished"), 800);
    });
    await proxy.cli("deploy", "app", `--target=${slow.address}`);
    const inflight = Array.from({ length: 6 }, () => request(`http://127.0.0.1:${proxy.port}/slow`));
    await sleep(200);
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child!.kill("SIGTERM");
    for (const response of await Promise.all(inflight)) expect(response.body).toBe("finished");
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proxy.output()).toContain('"msg":"Server stopped"');
  });
});

// Deploy protocol against real sockets: health gate → atomic switch → drain, under load.
import { afterEach, describe, expect, it } from "vitest";
import { keepAliveAgent, request, sleep, startApp, startProxy, type TestApp, type TestProxy } from "../support/harness.js";
import { attachEchoWebSocket, TestWebSocket } from "../support/websocket.js";

let proxy: TestProxy | null = null;
const apps: TestApp[] = [];

afterEach(async () => {
  await proxy?.stop();
  proxy = null;
  for (const app of apps.splice(0)) await app.close();
});

async function app(name: string, handler?: Parameters<typeof startApp>[1]): Promise<TestApp> {
  const started = await startApp(name, handler);
  apps.push(started);
  return started;
}

describe("deploy", () => {
  it("switches versions under load with zero failed requests", async () => {
    proxy = await startProxy();
    const v1 = await app("v1");
    const v2 = await app("v2");
    expect((await proxy.cli("deploy", "app", `--target=${v1.address}`)).code).toBe(0);

    const agent = keepAliveAgent();
    const seen: string[] = [];
    const failures: string[] = [];
    let stop = false;
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 5_000 && !stop; i++) {
        try {
          const response = await request(`${proxy!.httpUrl}/`, { agent });
          if (response.status !== 200) failures.push(`${response.status} ${response.body}`);
          else seen.push(response.body);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    await sleep(300);
    const first = await proxy.cli("deploy", "app", `--target=${v2.address}`, "--drain-timeout=5s");
    expect(first.code).toBe(0);
    // Once deploy has returned, new requests go to v2 only.
    expect((await request(`${proxy.httpUrl}/`)).body).toBe("v2");
    await sleep(300);
    const second = await proxy.cli("deploy", "app", `--target=${v1.address}`, "--drain-timeout=5s");
    expect(second.code).toBe(0);
    await sleep(300);
    stop = true;
    await Promise.all(loops);
    agent.destroy();

    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(50);
    expect(seen).toContain("v1");
    expect(seen).toContain("v2");
    expect((await request(`${proxy.httpUrl}/`)).body).toBe("v1");
  });

  it("waits for in-flight requests on the old target before returning", async () => {
    proxy = await startProxy();
    const slow = await app("slow", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      setTimeout(() => res.end("slow-done"), 600);
    });
    const v2 = await app("v2");
    await proxy.cli("deploy", "app", `--target=${slow.address}`);
    const inflight = request(`${proxy.httpUrl}/slow`);
    await sleep(100);
    const started = Date.now();
    const result = await proxy.cli("deploy", "app", `--target=${v2.address}`, "--drain-timeout=10s");
    const took = Date.now() - started;
    expect(result.code).toBe(0);
    expect(took).toBeGreaterThanOrEqual(350);
    const slowResponse = await inflight;
    expect(slowResponse.status).toBe(200);
    expect(slowResponse.body).toBe("slow-done");
  });

  it("cuts requests still running at the drain timeout with 504", async () => {
    proxy = await startProxy();
    const stuck = await app("stuck", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      setTimeout(() => res.end("too-late"), 5_000).unref();
    });
    const v2 = await app("v2");
    await proxy.cli("deploy", "app", `--target=${stuck.address}`);
    const inflight = request(`${proxy.httpUrl}/stuck`);
    await sleep(100);
    const started = Date.now();
    const result = await proxy.cli("deploy", "app", `--target=${v2.address}`, "--drain-timeout=300ms");
    const took = Date.now() - started;
    expect(result.code).toBe(0);
    expect(took).toBeLessThan(2_000);
    expect((await inflight).status).toBe(504);
  });

  it("keeps a WebSocket open across a switch until it closes, then completes the drain", async () => {
    proxy = await startProxy();
    const v1 = await app("v1");
    attachEchoWebSocket(v1.server, "v1");
    const v2 = await app("v2");
    attachEchoWebSocket(v2.server, "v2");
    await proxy.cli("deploy", "app", `--target=${v1.address}`);
    const ws = await TestWebSocket.connect(proxy.httpPort, "example.com");
    expect(await ws.echo("hello")).toBe("v1:hello");

    let deployDone = false;
    const deploying = proxy.cli("deploy", "app", `--target=${v2.address}`, "--drain-timeout=20s").then((result) => {
      deployDone = true;
      return result;
    });
    await sleep(400);
    // The switch happened (new requests reach v2) but the old socket still works, on v1.
    expect((await request(`${proxy.httpUrl}/`)).body).toBe("v2");
    expect(await ws.echo("still-there")).toBe("v1:still-there");
    expect(deployDone).toBe(false);
    const fresh = await TestWebSocket.connect(proxy.httpPort, "example.com");
    expect(await fresh.echo("new")).toBe("v2:new");
    fresh.destroy();

    ws.close();
    const result = await deploying;
    expect(result.code).toBe(0);
  });

  it("closes WebSockets still open at the drain timeout with a going-away frame", async () => {
    proxy = await startProxy();
    const v1 = await app("v1");
    attachEchoWebSocket(v1.server, "v1");
    const v2 = await app("v2");
    await proxy.cli("deploy", "app", `--target=${v1.address}`);
    const ws = await TestWebSocket.connect(proxy.httpPort, "example.com");
    expect(await ws.echo("a")).toBe("v1:a");
    const started = Date.now();
    const result = await proxy.cli("deploy", "app", `--target=${v2.address}`, "--drain-timeout=500ms");
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    const frame = await ws.next();
    expect(frame?.opcode).toBe(8);
    expect(frame?.payload.readUInt16BE(0)).toBe(1001);
    expect(await ws.next()).toBeNull();
  });

  it("probes a new target again soon after a failed first check, instead of a whole interval later", async () => {
    proxy = await startProxy();
    const started = Date.now();
    const probes: number[] = [];
    // Not ready for its first 400 ms, like an app still booting in its new container.
    const slow = await app("slow", (request, response) => {
      if (request.url === "/up") probes.push(Date.now() - started);
      response.statusCode = request.url === "/up" && Date.now() - started < 400 ? 503 : 200;
      response.end("slow");
    });
    const result = await proxy.cli("deploy", "app", `--target=${slow.address}`, "--health-check-interval=5s");
    expect(result.code, result.err).toBe(0);
    // Retries at 50, 100, 200 ms … after the first failure: healthy well before the 5 s interval.
    expect(probes.length).toBeGreaterThanOrEqual(4);
    expect(Date.now() - started).toBeLessThan(4000);
    expect((await request(`${proxy.httpUrl}/`)).body).toBe("slow");
  });

  it("fails after the deploy timeout, naming each target's last health result, and keeps the old target", async () => {
    proxy = await startProxy();
    const v1 = await app("v1");
    const redirecting = await app("bad", (_req, res) => {
      res.writeHead(301, { Location: "https://example.com/up" });
      res.end();
    });
    await proxy.cli("deploy", "app", `--target=${v1.address}`);
    const failed = await proxy.cli("deploy", "app", `--target=${redirecting.address}`, "--deploy-timeout=600ms", "--health-check-interval=100ms");
    expect(failed.code).toBe(1);
    expect(failed.err).toContain("target failed to become healthy within configured timeout (600ms)");
    expect(failed.err).toContain(`${redirecting.address} (GET /up returned 301 (redirect to https://example.com/up))`);
    expect((await request(`${proxy.httpUrl}/`)).body).toBe("v1");

    const refused = await proxy.cli("deploy", "app", "--target=127.0.0.1:1", "--deploy-timeout=300ms");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("127.0.0.1:1 (GET /up failed: connection refused)");
    expect((await request(`${proxy.httpUrl}/`)).body).toBe("v1");
  });

  it("balances round-robin over several healthy targets", async () => {
    proxy = await startProxy();
    const a = await app("a");
    const b = await app("b");
    expect((await proxy.cli("deploy", "app", `--target=${a.address},${b.address}`)).code).toBe(0);
    const bodies = [];
    for (let i = 0; i < 6; i++) bodies.push((await request(`${proxy.httpUrl}/`)).body);
    expect(bodies.filter((body) => body === "a").length).toBe(3);
    expect(bodies.filter((body) => body === "b").length).toBe(3);
  });

  it("routes reads to read targets and writes (and reads right after a write) to writers", async () => {
    proxy = await startProxy();
    const writer = await app("writer");
    const reader = await app("reader");
    await proxy.cli("deploy", "app", `--target=${writer.address}`, `--read-target=${reader.address}`, "--writer-affinity-timeout=5s");
    expect((await request(`${proxy.httpUrl}/`)).body).toBe("reader");
    const write = await request(`${proxy.httpUrl}/`, { method: "POST", body: "x" });
    expect(write.body).toBe("writer");
    const cookie = String(write.headers["set-cookie"]?.[0] ?? "").split(";")[0]!;
    expect(cookie).toMatch(/^kamal-writer=\d+$/);
    expect((await request(`${proxy.httpUrl}/`, { headers: { Cookie: cookie } })).body).toBe("writer");
  });
});

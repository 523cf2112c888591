// The proxy at the edge, against real sockets: slow clients (slowloris) timed out, framing that
// could smuggle a request refused before anything reaches the target, header and body limits,
// and X-Forwarded-* from clients trusted only with --forward-headers. Timeouts are shortened here.
import type http from "node:http";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rawRequest, request, sleep, startApp, startProxy, type TestApp, type TestProxy } from "../support/harness.js";

let proxy: TestProxy;
let app: TestApp;
/** Request targets the app received, in order. */
let seen: string[];

beforeEach(async () => {
  proxy = await startProxy({ timeouts: { headMs: 400, bodyMs: 300, idleMs: 5_000 } });
  seen = [];
  app = await startApp("echo", (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === "/up") return void res.end("ok");
    seen.push(req.url ?? "");
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => res.end(JSON.stringify({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("latin1") })));
  });
});

afterEach(async () => {
  await proxy.stop();
  await app.close();
});

async function deploy(...flags: string[]): Promise<void> {
  const result = await proxy.cli("deploy", "echo", `--target=${app.address}`, ...flags);
  expect(result.err).toBe("");
}

/** A raw client: what it received, and when the proxy closed it. */
function client(): { socket: net.Socket; received: () => string; closedAt: () => number } {
  const socket = net.connect(proxy.httpPort, "127.0.0.1");
  let received = "";
  let closedAt = 0;
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  socket.on("error", () => undefined);
  socket.on("close", () => (closedAt = Date.now()));
  return { socket, received: () => received, closedAt: () => closedAt };
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !condition() && Date.now() < deadline; ) await sleep(20);
}

describe("slow clients", () => {
  it("answers 408 and closes a connection whose request head trickles in (slowloris)", async () => {
    await deploy();
    const slow = client();
    const started = Date.now();
    slow.socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
    // A header line every 100 ms keeps the socket busy, so an idle timeout alone never fires.
    const trickle = setInterval(() => slow.socket.write("X-Slow: 1\r\n"), 100);
    await until(() => slow.closedAt() !== 0, 2_000);
    clearInterval(trickle);
    slow.socket.destroy();
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(slow.closedAt() - started).toBeGreaterThanOrEqual(350);
    expect(slow.closedAt() - started).toBeLessThan(1_200);
    expect(seen).toEqual([]);
  });

  for (const buffered of [false, true]) {
    it(`answers 408 and closes when a request body stalls (${buffered ? "buffered" : "streamed"} to the target)`, async () => {
      await deploy(...(buffered ? ["--buffer-requests"] : []));
      const stalled = client();
      const started = Date.now();
      stalled.socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc");
      await until(() => stalled.closedAt() !== 0, 2_000);
      stalled.socket.destroy();
      expect(stalled.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(stalled.closedAt() - started).toBeLessThan(1_200);
      expect(proxy.requests().find((entry) => entry.path === "/upload")?.status).toBe(408);
    });
  }

  it("lets a slow upload through as long as it keeps sending", async () => {
    await deploy();
    const uploader = client();
    uploader.socket.write("POST /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (let i = 0; i < 10; i++) {
      await sleep(100); // 1 s in all, more than three body timeouts
      uploader.socket.write("5\r\nhello\r\n");
    }
    uploader.socket.write("0\r\n\r\n");
    await until(() => uploader.received().includes("}"), 2_000);
    uploader.socket.destroy();
    expect(uploader.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(uploader.received().slice(uploader.received().indexOf("{"))).body).toBe("hello".repeat(10));
  });
});

describe("request smuggling", () => {
  const refused = async (text: string, status = 400): Promise<void> => {
    const answer = await rawRequest(proxy.httpPort, text, 500);
    expect(answer.split("\r\n")[0]).toBe(`HTTP/1.1 ${status} ${status === 400 ? "Bad Request" : "Not Implemented"}`);
    expect(answer).toContain("Connection: close");
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1); // nothing after it was read as a request
  };

  it("refuses conflicting Content-Length and Transfer-Encoding, and differing Content-Lengths, before the target sees anything", async () => {
    await deploy();
    const smuggled = "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n";
    await refused(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`);
    await refused(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${smuggled}`);
    await refused(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
    await refused(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${smuggled}`, 501);
    await refused(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n${smuggled}`);
    await refused(`POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`);
    await refused(`GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n`);
    expect(seen).toEqual([]);
  });

  it("refuses a chunk extension with a bare LF, which a lenient target would read as the end of the line", async () => {
    await deploy();
    await refused("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\nxx\r\n0\r\n\r\n");
    await sleep(100);
    expect(seen).toEqual([]); // not even the request it came with: the bytes never left the proxy
  });
});

describe("limits", () => {
  it("answers 431 to a request head over 64 KiB or with more than 256 fields", async () => {
    await deploy();
    expect(await rawRequest(proxy.httpPort, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(70_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await rawRequest(proxy.httpPort, `GET / HTTP/1.1\r\nHost: x\r\n${"X-A: 1\r\n".repeat(300)}\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect((await request(`${proxy.httpUrl}/ok`, { headers: { "X-Big": "b".repeat(8_000) } })).status).toBe(200);
    expect(seen).toEqual(["/ok"]);
  });

  it("refuses a body over --max-request-body at once, without inviting it with 100 Continue", async () => {
    await deploy("--buffer-requests", "--max-request-body=1000");
    const answer = await rawRequest(proxy.httpPort, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", 300);
    expect(answer).toMatch(/^HTTP\/1\.1 413 Request Entity Too Large\r\n/);
    expect(answer).not.toContain("100 Continue");
    expect(answer).toContain("Connection: close");
    expect(seen).toEqual([]);
  });
});

describe("forwarded headers", () => {
  const spoofed = {
    "X-Forwarded-For": "10.6.6.6",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.test",
    "X-Forwarded-Ssl": "on",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Prefix": "/admin",
    Forwarded: "for=10.6.6.6;proto=https;host=evil.test",
  };
  const headersSeen = async (): Promise<Record<string, string>> =>
    (JSON.parse((await request(`${proxy.httpUrl}/`, { headers: { Host: "app.test", ...spoofed } })).body) as { headers: Record<string, string> }).headers;

  it("trusts none of a client's X-Forwarded-* or Forwarded with --forward-headers=false (kamal-proxy's default with TLS)", async () => {
    await deploy("--forward-headers=false");
    const headers = await headersSeen();
    expect(headers).toMatchObject({ "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http", "x-forwarded-host": "app.test" });
    for (const name of ["x-forwarded-ssl", "x-forwarded-port", "x-forwarded-prefix", "forwarded"]) expect(headers[name], name).toBeUndefined();
    const logged = proxy.requests().at(-1)!;
    expect(logged.remote_addr).toBe("127.0.0.1");
  });

  it("extends and keeps them with --forward-headers (a proxy in front), but never passes Forwarded", async () => {
    await deploy("--forward-headers=true");
    const headers = await headersSeen();
    expect(headers).toMatchObject({
      "x-forwarded-for": "10.6.6.6, 127.0.0.1",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "evil.test",
      "x-forwarded-ssl": "on",
      "x-forwarded-port": "443",
      "x-forwarded-prefix": "/admin",
    });
    expect(headers.forwarded).toBeUndefined();
    expect(proxy.requests().at(-1)!.remote_addr).toBe("10.6.6.6");
  });
});

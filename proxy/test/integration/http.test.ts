// Request-path behaviour against real sockets: routing, error pages, buffering, timeouts,
// forwarded headers, request ids and the access log.
import fs from "node:fs";
import type http from "node:http";
import net from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../helpers/pebble.js";
import { keepAliveAgent, rawRequest, request, sleep, startApp, startProxy, type TestApp, type TestProxy } from "../support/harness.js";

let proxy: TestProxy;
const apps: TestApp[] = [];

beforeEach(async () => {
  proxy = await startProxy();
});

afterEach(async () => {
  await proxy.stop();
  for (const app of apps.splice(0)) await app.close();
});

async function app(name: string, handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestApp> {
  const started = await startApp(name, handler);
  apps.push(started);
  return started;
}

/** An app that answers with what it received (method, url, headers, body) as JSON. */
async function echoApp(name: string): Promise<TestApp> {
  return app(name, (req, res) => {
    if (req.url === "/up") return void res.end("ok");
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
  });
}

const json = (body: string): Record<string, unknown> & { headers: Record<string, string>; url: string; name: string } =>
  JSON.parse(body) as Record<string, unknown> & { headers: Record<string, string>; url: string; name: string };

async function deploy(...argv: string[]): Promise<void> {
  const result = await proxy.cli("deploy", ...argv);
  expect(result.err).toBe("");
  expect(result.code).toBe(0);
}

describe("routing", () => {
  it("routes by host, one-level wildcard and catch-all, and answers 404 when nothing matches", async () => {
    const a = await app("a");
    const b = await app("b");
    const wild = await app("wild");
    await deploy("a", `--target=${a.address}`, "--host=a.example.com,www.a.example.com");
    await deploy("b", `--target=${b.address}`, "--host=b.example.com");
    await deploy("wild", `--target=${wild.address}`, "--host=*.wild.test");
    const get = (host: string): Promise<{ status: number; body: string }> => request(`${proxy.httpUrl}/`, { headers: { Host: host } });
    expect((await get("a.example.com")).body).toBe("a");
    expect((await get("WWW.A.EXAMPLE.COM:80")).body).toBe("a");
    expect((await get("b.example.com")).body).toBe("b");
    expect((await get("x.wild.test")).body).toBe("wild");
    const deep = await get("y.x.wild.test");
    expect(deep.status).toBe(404);
    expect(deep.body).toContain("404");
    expect((await get("unknown.test")).status).toBe(404);

    const fallback = await app("fallback");
    await deploy("fallback", `--target=${fallback.address}`);
    expect((await get("unknown.test")).body).toBe("fallback");
    expect((await get("a.example.com")).body).toBe("a");
  });

  it("matches path prefixes on segment boundaries, longest first, stripping the prefix unless told not to", async () => {
    const root = await echoApp("root");
    const api = await echoApp("api");
    const apiV2 = await echoApp("api-v2");
    const keep = await echoApp("keep");
    await deploy("root", `--target=${root.address}`, "--host=example.com");
    await deploy("api", `--target=${api.address}`, "--host=example.com", "--path-prefix=/api");
    await deploy("api-v2", `--target=${apiV2.address}`, "--host=example.com", "--path-prefix=/api/v2");
    await deploy("keep", `--target=${keep.address}`, "--host=example.com", "--path-prefix=/keep", "--strip-path-prefix=false");
    const get = async (p: string): Promise<{ name: string; url: string }> =>
      json((await request(`${proxy.httpUrl}${p}`, { headers: { Host: "example.com" } })).body);
    expect(await get("/api/users?x=1")).toMatchObject({ name: "api", url: "/users?x=1" });
    expect(await get("/api")).toMatchObject({ name: "api", url: "/" });
    expect(await get("/api/v2/items")).toMatchObject({ name: "api-v2", url: "/items" });
    expect(await get("/apiary")).toMatchObject({ name: "root", url: "/apiary" });
    expect(await get("/keep/this")).toMatchObject({ name: "keep", url: "/keep/this" });
  });

  it("refuses a (host, path) another service owns with kamal-proxy's error", async () => {
    const a = await app("a");
    const b = await app("b");
    await deploy("a", `--target=${a.address}`, "--host=example.com");
    const clash = await proxy.cli("deploy", "b", `--target=${b.address}`, "--host=example.com");
    expect(clash.code).toBe(1);
    expect(clash.err).toContain("host settings conflict with another service");
    expect((await request(`${proxy.httpUrl}/`, { headers: { Host: "example.com" } })).body).toBe("a");
    // A different path on the same host is fine.
    await deploy("b", `--target=${b.address}`, "--host=example.com", "--path-prefix=/b");
  });

  it("redirects to the canonical host", async () => {
    const a = await app("a");
    await deploy("a", `--target=${a.address}`, "--host=example.com,www.example.com", "--canonical-host=example.com");
    const response = await request(`${proxy.httpUrl}/x?y=1`, { headers: { Host: "www.example.com" } });
    expect(response.status).toBe(301);
    expect(response.headers.location).toBe("http://example.com/x?y=1");
    expect((await request(`${proxy.httpUrl}/`, { headers: { Host: "example.com" } })).body).toBe("a");
  });
});

describe("error pages", () => {
  it("renders custom <status>.html pages with the stop message, and built-in pages otherwise", async () => {
    const pages = fs.mkdtempSync(path.join(proxy.dir, "pages-"));
    fs.writeFileSync(path.join(pages, "503.html"), "<p>Down: {{ .Message }}</p>");
    const a = await app("a");
    await deploy("a", `--target=${a.address}`, `--error-pages=${pages}`, "--host=example.com");
    expect((await proxy.cli("stop", "a", "--message=Back <soon>", "--drain-timeout=1s")).code).toBe(0);
    const stopped = await request(`${proxy.httpUrl}/`, { headers: { Host: "example.com" } });
    expect(stopped.status).toBe(503);
    expect(stopped.body).toBe("<p>Down: Back &#60;soon&#62;</p>");
    expect(stopped.headers["content-type"]).toBe("text/html; charset=utf-8");
    const missing = await request(`${proxy.httpUrl}/`, { headers: { Host: "nothing.test" } });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("<h1>404 Not Found</h1>");
  });

  it("rejects an error page directory that does not exist", async () => {
    const a = await app("a");
    const result = await proxy.cli("deploy", "a", `--target=${a.address}`, "--error-pages=/nonexistent/pages");
    expect(result.code).toBe(1);
    expect(result.err).toContain("unable to load error pages");
  });
});

describe("buffering and limits", () => {
  it("answers 413 when a buffered request body is over --max-request-body", async () => {
    const echo = await echoApp("echo");
    await deploy("echo", `--target=${echo.address}`, "--buffer-requests", "--max-request-body=1000");
    const small = await request(`${proxy.httpUrl}/`, { method: "POST", body: "x".repeat(500) });
    expect(json(small.body).body).toBe("x".repeat(500));
    const big = await request(`${proxy.httpUrl}/`, { method: "POST", body: "x".repeat(5000) });
    expect(big.status).toBe(413);
    // Chunked (no Content-Length) bodies are counted as they arrive.
    const raw = await rawRequest(
      proxy.httpPort,
      `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(2000).toString(16)}\r\n${"y".repeat(2000)}\r\n0\r\n\r\n`,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("spills bodies over --buffer-memory to disk and still forwards them intact", async () => {
    const echo = await echoApp("echo");
    await deploy("echo", `--target=${echo.address}`, "--buffer-requests", "--buffer-responses", "--buffer-memory=1024");
    const body = Array.from({ length: 20_000 }, (_, i) => String(i % 10)).join("");
    const response = await request(`${proxy.httpUrl}/`, { method: "POST", body });
    expect(response.status).toBe(200);
    expect(json(response.body).body).toBe(body);
  });

  it("answers 502 when a buffered response is over --max-response-body", async () => {
    const big = await app("big", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      res.end("z".repeat(4000));
    });
    await deploy("big", `--target=${big.address}`, "--buffer-responses", "--max-response-body=1000");
    expect((await request(`${proxy.httpUrl}/`)).status).toBe(502);
  });

  it("streams server-sent events through even with response buffering on", async () => {
    const sse = await app("sse", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("data: one\n\n");
      setTimeout(() => res.end("data: two\n\n"), 300);
    });
    await deploy("sse", `--target=${sse.address}`, "--buffer-responses");
    const raw = await rawRequest(proxy.httpPort, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n", 150);
    expect(raw).toContain("data: one");
    expect(raw).not.toContain("data: two");
  });
});

describe("timeouts and failures", () => {
  it("answers 504 when the target does not send headers within --target-timeout", async () => {
    const slow = await app("slow", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      setTimeout(() => res.end("late"), 2_000).unref();
    });
    await deploy("slow", `--target=${slow.address}`, "--target-timeout=200ms");
    const started = Date.now();
    const response = await request(`${proxy.httpUrl}/`);
    expect(response.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("counts --target-timeout from the end of a slow upload, not from its start", async () => {
    const echo = await echoApp("echo");
    await deploy("echo", `--target=${echo.address}`, "--target-timeout=300ms");
    const socket = net.connect(proxy.httpPort, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.write("POST /slow-upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc");
    await sleep(600); // longer than the target timeout, while the upload is still going
    socket.write("def");
    for (let i = 0; i < 50 && !received.includes("}"); i++) await sleep(20);
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(json(received.slice(received.indexOf("{"))).body).toBe("abcdef");
  });

  it("answers 502 when the target drops the connection", async () => {
    const broken = await app("broken", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      req.socket.destroy();
    });
    await deploy("broken", `--target=${broken.address}`);
    expect((await request(`${proxy.httpUrl}/`)).status).toBe(502);
  });

  it("logs 499 when the client goes away before the response", async () => {
    const slow = await app("slow", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      setTimeout(() => res.end("late"), 500).unref();
    });
    await deploy("slow", `--target=${slow.address}`);
    await rawRequest(proxy.httpPort, "GET /gone HTTP/1.1\r\nHost: x\r\n\r\n", 100);
    await sleep(100);
    const entry = proxy.requests().find((line) => line.path === "/gone");
    expect(entry?.status).toBe(499);
  });
});

describe("headers and logging", () => {
  it("sets X-Forwarded-* and appends to a trusted X-Forwarded-For (default without TLS)", async () => {
    const echo = await echoApp("echo");
    await deploy("echo", `--target=${echo.address}`);
    const seen = json(
      (await request(`${proxy.httpUrl}/`, { headers: { Host: "example.com", "X-Forwarded-For": "10.9.9.9", "X-Forwarded-Proto": "https" } })).body,
    ).headers;
    expect(seen["x-forwarded-for"]).toBe("10.9.9.9, 127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("https");
    expect(seen["x-forwarded-host"]).toBe("example.com");
    expect(seen.host).toBe("example.com");
  });

  it("overwrites incoming X-Forwarded-* with --forward-headers=false", async () => {
    const echo = await echoApp("echo");
    await deploy("echo", `--target=${echo.address}`, "--forward-headers=false");
    const seen = json(
      (await request(`${proxy.httpUrl}/`, { headers: { Host: "example.com", "X-Forwarded-For": "10.9.9.9", "X-Forwarded-Proto": "https" } })).body,
    ).headers;
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
  });

  it("adds X-Request-ID and X-Request-Start when absent and keeps them when present", async () => {
    const echo = await echoApp("echo");
    await deploy("echo", `--target=${echo.address}`);
    const generated = json((await request(`${proxy.httpUrl}/`)).body).headers;
    expect(generated["x-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(generated["x-request-start"]).toMatch(/^t=\d{13}$/);
    const kept = json((await request(`${proxy.httpUrl}/`, { headers: { "X-Request-ID": "abc-123", "X-Request-Start": "t=1" } })).body).headers;
    expect(kept["x-request-id"]).toBe("abc-123");
    expect(kept["x-request-start"]).toBe("t=1");
  });

  it("drops hop-by-hop headers in both directions", async () => {
    const echo = await echoApp("echo");
    await deploy("echo", `--target=${echo.address}`);
    const raw = await rawRequest(proxy.httpPort, "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n\r\n");
    const body = json(raw.slice(raw.indexOf("\r\n\r\n") + 4)).headers;
    expect(body["x-secret"]).toBeUndefined();
    expect(body["keep-alive"]).toBeUndefined();
  });

  it("writes one JSON access-log line per request with kamal-proxy's fields and the configured headers", async () => {
    const a = await app("a", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      res.setHeader("Content-Type", "text/plain");
      res.setHeader("Cache-Control", "no-store");
      res.end("hello");
    });
    await deploy("a", `--target=${a.address}`, "--log-request-header=User-Agent", "--log-request-header=X-Custom", "--log-response-header=Cache-Control");
    await request(`${proxy.httpUrl}/logged?q=1`, { headers: { Host: "example.com", "User-Agent": "tester/1", "X-Custom": "v", "X-Request-ID": "rid-1" } });
    await sleep(20);
    const entry = proxy.requests().find((line) => line.path === "/logged")!;
    expect(entry).toMatchObject({
      level: "INFO",
      msg: "Request",
      host: "example.com",
      port: proxy.httpPort,
      path: "/logged",
      query: "q=1",
      request_id: "rid-1",
      status: 200,
      service: "a",
      target: a.address,
      method: "GET",
      proto: "HTTP/1.1",
      scheme: "http",
      user_agent: "tester/1",
      resp_content_length: 5,
      resp_content_type: "text/plain",
      client_addr: "127.0.0.1",
      remote_addr: "127.0.0.1",
      req_user_agent: "tester/1",
      req_x_custom: "v",
      resp_cache_control: "no-store",
    });
    expect(typeof entry.duration).toBe("number");
    expect(typeof entry.time).toBe("string");
  });

  it("keeps client connections alive across requests and pipelined requests in order", async () => {
    const a = await app("a", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      res.end(req.url);
    });
    await deploy("a", `--target=${a.address}`);
    const raw = await rawRequest(proxy.httpPort, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n", 300);
    expect(raw.indexOf("/one")).toBeGreaterThan(0);
    expect(raw.indexOf("/two")).toBeGreaterThan(raw.indexOf("/one"));
    expect(raw.match(/HTTP\/1\.1 200/g)?.length).toBe(2);
  });

  it("de-chunks responses for HTTP/1.0 clients and closes after them", async () => {
    const chunky = await app("chunky", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      res.write("part1-");
      res.end("part2");
    });
    await deploy("chunky", `--target=${chunky.address}`);
    const raw = await rawRequest(proxy.httpPort, "GET / HTTP/1.0\r\nHost: x\r\n\r\n", 1_000);
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(raw).not.toMatch(/transfer-encoding/i);
    expect(raw).toMatch(/\r\nConnection: close\r\n/);
    expect(raw.endsWith("\r\n\r\npart1-part2")).toBe(true);
  });

  it("relays chunked request and response bodies", async () => {
    const chunky = await app("chunky", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        res.write("got:");
        res.end(Buffer.concat(chunks));
      });
    });
    await deploy("chunky", `--target=${chunky.address}`);
    const raw = await rawRequest(proxy.httpPort, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    expect(raw).toMatch(/transfer-encoding: chunked/i);
    expect(raw).toContain("got:");
    expect(raw).toContain("abcde");
  });

  it("answers Expect: 100-continue itself when it buffers the request body", async () => {
    const echo = await echoApp("echo");
    await deploy("echo", `--target=${echo.address}`, "--buffer-requests");
    const socket = net.connect(proxy.httpPort, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    for (let i = 0; i < 50 && !received.includes("100 Continue"); i++) await sleep(20);
    expect(received).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    socket.write("hello");
    for (let i = 0; i < 50 && !received.includes("}"); i++) await sleep(20);
    socket.destroy();
    const body = json(received.slice(received.indexOf("{")));
    expect(body.body).toBe("hello");
    expect(body.headers.expect).toBeUndefined();
  });
});

describe("streaming and connection reuse", () => {
  it("streams large bodies both ways intact without buffering", async () => {
    const sizes = await app("sizes", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      if (req.method === "POST") {
        let total = 0;
        let sum = 0;
        req.on("data", (chunk: Buffer) => {
          total += chunk.length;
          for (const byte of chunk) sum = (sum + byte) % 65521;
        });
        req.on("end", () => res.end(`${total}:${sum}`));
        return;
      }
      const chunk = Buffer.alloc(64 * 1024, 7);
      let left = 80; // 5 MiB, chunked, written with backpressure
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    await deploy("sizes", `--target=${sizes.address}`);
    const upload = Buffer.alloc(3 * 1024 * 1024, 3);
    const expectedSum = (3 * 1024 * 1024 * 3) % 65521;
    const posted = await request(`${proxy.httpUrl}/`, { method: "POST", body: upload });
    expect(posted.body).toBe(`${upload.length}:${expectedSum}`);
    const downloaded = await request(`${proxy.httpUrl}/big`);
    expect(downloaded.body.length).toBe(80 * 64 * 1024);
  });

  it("keeps a burst's upstream connections for the next burst, past kamal-proxy's 100", async () => {
    // Each request waits until the whole burst has arrived, so the proxy needs one upstream
    // connection per request; the second burst must find them all in the pool.
    const burst = 300;
    let waiting: http.ServerResponse[] = [];
    const held = await app("held", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      waiting.push(res);
      if (waiting.length < burst) return;
      for (const response of waiting) response.end("held");
      waiting = [];
    });
    let connections = 0;
    held.server.on("connection", () => connections++);
    await deploy("held", `--target=${held.address}`);
    const fire = (): Promise<string[]> => Promise.all(Array.from({ length: burst }, async () => (await request(`${proxy.httpUrl}/`)).body));
    expect(await fire()).toEqual(Array(burst).fill("held"));
    const afterFirst = connections;
    expect(afterFirst).toBeGreaterThanOrEqual(burst);
    expect(await fire()).toEqual(Array(burst).fill("held"));
    expect(connections - afterFirst).toBe(0);
  });

  it("retries a request once when a pooled connection turns out to be closed by the target", async () => {
    // Answers the first request on each connection and drops the connection on the second, as a
    // target closing an idle keep-alive connection just as the next request arrives would.
    const flaky = net.createServer((socket) => {
      let requests = 0;
      socket.on("data", (chunk: Buffer) => {
        const heads = chunk.toString("latin1").split("\r\n\r\n").length - 1;
        for (let i = 0; i < heads; i++) {
          requests++;
          if (requests === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh");
          else socket.destroy();
        }
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    const port = (flaky.address() as net.AddressInfo).port;
    try {
      await deploy("flaky", `--target=127.0.0.1:${port}`);
      const agent = keepAliveAgent();
      const bodies: string[] = [];
      for (let i = 0; i < 5; i++) bodies.push((await request(`${proxy.httpUrl}/`, { agent })).body);
      agent.destroy();
      expect(bodies).toEqual(Array(5).fill("fresh"));
    } finally {
      flaky.close();
    }
  });

  it("answers HEAD, 204 and 304 without a body and keeps the connection usable", async () => {
    const codes = await app("codes", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      if (req.url === "/204") return void res.writeHead(204).end();
      if (req.url === "/304") return void res.writeHead(304).end();
      res.setHeader("Content-Length", "5");
      res.end(req.method === "HEAD" ? undefined : "hello");
    });
    await deploy("codes", `--target=${codes.address}`);
    const raw = await rawRequest(
      proxy.httpPort,
      "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      400,
    );
    expect(raw.match(/^HTTP\/1\.1 \d+/gm)).toEqual(["HTTP/1.1 200", "HTTP/1.1 204", "HTTP/1.1 304", "HTTP/1.1 200"]);
    expect(raw.endsWith("hello")).toBe(true);
    expect(raw.split("hello").length).toBe(2);
  });
});

describe("metrics", () => {
  it("counts requests per service, method and status on --metrics-port", async () => {
    await proxy.stop();
    const metricsPort = await freePort();
    proxy = await startProxy({ metricsPort });
    const a = await app("a");
    await deploy("a", `--target=${a.address}`);
    await request(`${proxy.httpUrl}/`);
    await request(`${proxy.httpUrl}/`);
    const text = (await request(`http://127.0.0.1:${metricsPort}/metrics`)).body;
    expect(text).toContain('kamal_proxy_http_requests_total{service="a",method="GET",status="200"} 2');
    expect(text).toContain('kamal_proxy_http_request_duration_seconds_count{service="a",method="GET"} 2');
    expect(text).toContain('kamal_proxy_http_in_flight_requests{service="a"} 0');
  });
});

describe("ACME HTTP-01", () => {
  it("answers challenges on port 80 before the HTTPS redirect and routes unknown tokens normally", async () => {
    await proxy.stop();
    const configured: string[] = [];
    proxy = await startProxy({
      certificates: {
        setService: async (service, settings) => void configured.push(`${service} ${settings.hosts.join(",")} ${settings.acme?.directoryUrl ?? "custom"}`),
        removeService: () => undefined,
        sniCallback: (_name, callback) => callback(new Error("no certificate in this test")),
        httpChallenge: (host, token) => (host === "example.com" && token === "tok-1" ? "tok-1.thumbprint" : undefined),
        alpnProtocols: ["http/1.1", "acme-tls/1"],
        close: () => undefined,
      },
      acmeDirectory: "https://pebble.test:14000/dir",
    });
    const a = await app("a");
    await deploy("a", `--target=${a.address}`, "--host=example.com", "--tls");
    expect(configured).toEqual(["a example.com https://pebble.test:14000/dir"]);
    const challenge = await request(`${proxy.httpUrl}/.well-known/acme-challenge/tok-1`, { headers: { Host: "example.com" } });
    expect(challenge.status).toBe(200);
    expect(challenge.body).toBe("tok-1.thumbprint");
    const unknown = await request(`${proxy.httpUrl}/.well-known/acme-challenge/other`, { headers: { Host: "example.com" } });
    expect(unknown.status).toBe(301);
  });
});

// HTTP/2 streams bridged to the HTTP/1.1 data path: request heads and bodies as the target sees
// them, response framings (length, chunked, until close, none), 1xx and hop-by-hop headers, the
// proxy's own answers, buffering limits and the access log, checked against a raw target.
import fs from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateStore } from "../../src/tls/index.js";
import { selfSignedCertificate } from "../support/certificates.js";
import { sleep, startApp, startProxy, type TestApp, type TestProxy } from "../support/harness.js";

let proxy: TestProxy;
let reader: TestApp;
let target: net.Server;
let targetPort = 0;
let dir = "";
let cert = "";
/** Raw requests (head and body) the target received, newest last. */
const received: Array<{ head: string; body: string }> = [];

const REPLIES: Record<string, string | ((body: string, head: string) => string)> = {
  "/chunked": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
  "/early": "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter",
  "/hop": "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nProxy-Connection: x\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-App: yes\r\nContent-Length: 2\r\n\r\nok",
  "/204": "HTTP/1.1 204 No Content\r\nX-App: yes\r\n\r\n",
  "/304": 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n',
  "/head": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n",
  "/big": `HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n${"x".repeat(300_000)}`,
  "/echo": (body) => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
};

/** A keep-alive HTTP/1.1 target that records each request and answers from REPLIES by path. */
function startTarget(): Promise<void> {
  target = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = buf.toString("latin1", 0, end);
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        let bodyEnd = end + 4;
        if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          const last = buf.indexOf("0\r\n\r\n", end + 4);
          if (last === -1) return;
          bodyEnd = last + 5;
        } else if (length !== null) {
          bodyEnd += Number(length[1]);
          if (buf.length < bodyEnd) return;
        }
        const body = buf.toString("latin1", end + 4, bodyEnd);
        buf = buf.subarray(bodyEnd);
        const urlPath = head.split(" ")[1]!;
        received.push({ head, body });
        if (urlPath === "/cut") {
          socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
          return;
        }
        if (urlPath === "/close") {
          socket.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil close");
          return;
        }
        const reply = REPLIES[urlPath] ?? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        socket.write(typeof reply === "function" ? reply(body, head) : reply);
      }
    });
    socket.on("error", () => undefined);
  });
  return new Promise((resolve) =>
    target.listen(0, "127.0.0.1", () => {
      targetPort = (target.address() as net.AddressInfo).port;
      resolve();
    }),
  );
}

beforeAll(async () => {
  dir = fs.mkdtempSync("/tmp/berth-proxy-h2b-");
  const { certPath, keyPath, cert: pem } = selfSignedCertificate(dir, ["example.com", "limited.example.com", "rw.example.com"]);
  cert = pem;
  await startTarget();
  proxy = await startProxy({ dir, certificates: createCertificateStore({ stateDir: dir, logger: () => undefined, customCertificatePollMs: 0 }) });
  const tls = ["--tls", `--tls-certificate-path=${certPath}`, `--tls-private-key-path=${keyPath}`];
  const app = await proxy.cli("deploy", "app", `--target=127.0.0.1:${targetPort}`, "--host=example.com", ...tls);
  expect(app.code).toBe(0);
  const limited = await proxy.cli(
    "deploy", "limited", `--target=127.0.0.1:${targetPort}`, "--host=limited.example.com", ...tls,
    "--buffer-requests", "--max-request-body=10", "--buffer-responses", "--max-response-body=100000",
  );
  expect(limited.code).toBe(0);
  reader = await startApp("reader");
  const rw = await proxy.cli(
    "deploy", "rw", `--target=127.0.0.1:${targetPort}`, `--read-target=${reader.address}`, "--host=rw.example.com", ...tls, "--writer-affinity-timeout=5s",
  );
  expect(rw.code).toBe(0);
});

afterAll(async () => {
  await proxy.stop();
  await reader.close();
  await new Promise((resolve) => target.close(resolve));
});

interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
  /** Informational (1xx) heads the client saw. */
  informational: number;
}

/** One h2 request; `body` pieces are written one by one, none means END_STREAM on the HEADERS frame. */
function h2(urlPath: string, options: { method?: string; host?: string; headers?: Record<string, string>; body?: string[] } = {}): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${proxy.httpsPort}`, { servername: "example.com", ca: cert });
    session.on("error", reject);
    const stream = session.request(
      { ":method": options.method ?? "GET", ":path": urlPath, ":authority": options.host ?? "example.com", ...options.headers },
      { endStream: options.body === undefined },
    );
    let status = 0;
    let headers: http2.IncomingHttpHeaders = {};
    let informational = 0;
    const chunks: Buffer[] = [];
    stream.on("headers", () => informational++);
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      session.close();
      resolve({ status, headers, body: Buffer.concat(chunks).toString("latin1"), informational });
    });
    stream.on("error", reject);
    if (options.body !== undefined) {
      for (const piece of options.body) stream.write(piece);
      stream.end();
    }
  });
}

function lastReceived(): { head: string; body: string } {
  return received[received.length - 1]!;
}

async function logged(urlPath: string): Promise<Record<string, unknown>> {
  await sleep(20);
  const entries = proxy.requests().filter((entry) => entry.path === urlPath);
  return entries[entries.length - 1]!;
}

describe("HTTP/2 bridge", () => {
  it("forwards a bodiless GET with the X-Forwarded-* headers, a request id and the access log line", async () => {
    const response = await h2("/plain?a=1", { headers: { "user-agent": "h2-test", "x-forwarded-for": "6.6.6.6" } });
    expect(response.status).toBe(200);
    expect(response.body).toBe("ok");
    const { head, body } = lastReceived();
    expect(head).toMatch(/^GET \/plain\?a=1 HTTP\/1\.1\r\nHost: example\.com\r\n/);
    expect(head).toContain("\r\nuser-agent: h2-test");
    expect(head).toContain("\r\nX-Forwarded-For: 127.0.0.1\r\n"); // TLS: the client's own is not trusted
    expect(head).toContain("\r\nX-Forwarded-Proto: https\r\n");
    expect(head).toMatch(/\r\nX-Forwarded-Host: example\.com(\r\n|$)/);
    expect(head).not.toMatch(/transfer-encoding|content-length/i);
    expect(body).toBe("");
    const requestId = /\r\nX-Request-ID: ([0-9a-f-]{36})/.exec(head)![1];
    const entry = await logged("/plain");
    expect(entry).toMatchObject({ proto: "HTTP/2.0", scheme: "https", method: "GET", status: 200, host: "example.com", query: "a=1", service: "app", user_agent: "h2-test", request_id: requestId, client_addr: "127.0.0.1", port: proxy.httpsPort });
  });

  it("keeps the client's request id", async () => {
    await h2("/rid", { headers: { "x-request-id": "abc-123" } });
    expect(lastReceived().head).toContain("\r\nx-request-id: abc-123\r\n");
    expect((await logged("/rid")).request_id).toBe("abc-123");
  });

  it("relays a POST body with a Content-Length as it is", async () => {
    const response = await h2("/echo", { method: "POST", headers: { "content-length": "6", "content-type": "text/plain" }, body: ["abc", "def"] });
    expect(response.body).toBe("abcdef");
    expect(lastReceived().head).toContain("\r\ncontent-length: 6\r\n");
    expect(lastReceived().head).not.toMatch(/transfer-encoding/i);
    expect(await logged("/echo")).toMatchObject({ method: "POST", req_content_length: 6, req_content_type: "text/plain", proto: "HTTP/2.0" });
  });

  it("sends a POST body without a Content-Length chunked", async () => {
    const response = await h2("/echo", { method: "POST", body: ["abc", "defg"] });
    expect(lastReceived().head).toContain("\r\ntransfer-encoding: chunked\r\n");
    expect(response.body).toMatch(/^([0-9a-f]+\r\n[a-g]+\r\n)+0\r\n\r\n$/);
    expect(response.body.replace(/[0-9a-f]+\r\n([a-g]*)\r\n/g, "$1").replace(/0\r\n\r\n$/, "")).toBe("abcdefg");
  });

  it("answers HEAD with the target's headers and no body", async () => {
    const response = await h2("/head", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers["content-length"]).toBe("11");
    expect(response.headers["content-type"]).toBe("text/plain");
    expect(response.body).toBe("");
    expect(lastReceived().head).toMatch(/^HEAD \/head /);
  });

  it("de-chunks a chunked response into DATA frames without Transfer-Encoding", async () => {
    const response = await h2("/chunked");
    expect(response.status).toBe(200);
    expect(response.body).toBe("hello world");
    expect(response.headers["transfer-encoding"]).toBeUndefined();
    expect(response.headers["content-type"]).toBe("text/plain");
  });

  it("ends a close-delimited response when the target closes", async () => {
    const response = await h2("/close");
    expect(response.status).toBe(200);
    expect(response.body).toBe("until close");
    expect(response.headers.connection).toBeUndefined();
  });

  it("skips 1xx responses and drops connection-specific headers, keeping repeated ones", async () => {
    const early = await h2("/early");
    expect(early.status).toBe(200);
    expect(early.body).toBe("after");
    expect(early.informational).toBe(0);
    const hop = await h2("/hop");
    expect(hop.status).toBe(200);
    expect(hop.body).toBe("ok");
    expect(hop.headers["x-app"]).toBe("yes");
    expect(hop.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    for (const name of ["connection", "keep-alive", "proxy-connection"]) expect(hop.headers[name]).toBeUndefined();
  });

  it("ends 204 and 304 responses without a body", async () => {
    const noContent = await h2("/204");
    expect(noContent.status).toBe(204);
    expect(noContent.headers["x-app"]).toBe("yes");
    expect(noContent.body).toBe("");
    const notModified = await h2("/304");
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe('"x"');
  });

  it("answers with the proxy's error page for an unknown host", async () => {
    const response = await h2("/nowhere", { host: "unknown.example.com" });
    expect(response.status).toBe(404);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(Number(response.headers["content-length"])).toBe(Buffer.byteLength(response.body));
    expect(response.body).toContain("<");
    expect((await logged("/nowhere")).status).toBe(404);
  });

  it("applies the service's buffering limits", async () => {
    const small = await h2("/echo", { method: "POST", host: "limited.example.com", headers: { "content-length": "5" }, body: ["12345"] });
    expect(small.status).toBe(200);
    expect(small.body).toBe("12345");
    const tooLarge = await h2("/echo", { method: "POST", host: "limited.example.com", headers: { "content-length": "11" }, body: ["12345678901"] });
    expect(tooLarge.status).toBe(413);
    const streamedTooLarge = await h2("/echo", { method: "POST", host: "limited.example.com", body: ["123456", "789012"] });
    expect(streamedTooLarge.status).toBe(413);
    const bigResponse = await h2("/big", { host: "limited.example.com" });
    expect(bigResponse.status).toBe(502);
  });

  it("sets the writer-affinity cookie after a write, beside the target's own cookies", async () => {
    expect((await h2("/", { host: "rw.example.com" })).body).toBe("reader");
    const write = await h2("/hop", { method: "POST", host: "rw.example.com", headers: { "content-length": "1" }, body: ["x"] });
    expect(write.body).toBe("ok");
    const cookies = write.headers["set-cookie"] as string[];
    expect(cookies.slice(0, 2)).toEqual(["a=1", "b=2"]);
    expect(cookies[2]).toMatch(/^kamal-writer=\d+; Path=\/; Max-Age=5; HttpOnly$/);
    const after = await h2("/", { host: "rw.example.com", headers: { cookie: cookies[2]!.split(";")[0]! } });
    expect(after.body).toBe("ok"); // the writer (the raw target), not the reader
  });

  it("streams a response larger than the h2 window intact", async () => {
    const response = await h2("/big");
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(300_000);
    expect(response.body).toBe("x".repeat(300_000));
  });

  it("resets the stream when the target cuts a response short, never ends it cleanly", async () => {
    const session = http2.connect(`https://127.0.0.1:${proxy.httpsPort}`, { servername: "example.com", ca: cert });
    session.on("error", () => undefined);
    const stream = session.request({ ":path": "/cut", ":authority": "example.com" }, { endStream: true });
    let status = 0;
    let data = "";
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.on("data", (chunk: Buffer) => (data += chunk.toString("latin1")));
    let ended = false;
    stream.on("end", () => (ended = true));
    stream.on("error", () => undefined);
    await new Promise((resolve) => stream.on("close", resolve));
    session.close();
    expect(status).toBe(200);
    expect(data).toBe("0123456789");
    expect(ended).toBe(false);
    expect(stream.rstCode).not.toBe(http2.constants.NGHTTP2_NO_ERROR);
  });

  it("logs 499 and frees the target when the client resets a waiting stream", async () => {
    const session = http2.connect(`https://127.0.0.1:${proxy.httpsPort}`, { servername: "example.com", ca: cert });
    session.on("error", () => undefined);
    // The target answers /echo only once the body is complete: reset before sending it.
    const stream = session.request({ ":method": "POST", ":path": "/reset", ":authority": "example.com", "content-length": "100" }, { endStream: false });
    stream.on("error", () => undefined);
    stream.write("partial");
    await sleep(100);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await sleep(100);
    session.close();
    expect((await logged("/reset")).status).toBe(499);
    const again = await h2("/after-reset");
    expect(again.status).toBe(200);
  });
});

// HTTPS listener wiring: HTTP/2 and HTTP/1.1 over TLS with a self-signed certificate made
// here with openssl and served through the TLS module's custom-certificate support.
import fs from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCertificateStore } from "../../src/tls/index.js";
import { selfSignedCertificate } from "../support/certificates.js";
import { request, sleep, startApp, startProxy, type TestApp, type TestProxy } from "../support/harness.js";

let proxy: TestProxy;
let app: TestApp;
let certPath: string;
let keyPath: string;
let cert: string;

beforeEach(async () => {
  const dir = fs.mkdtempSync("/tmp/berth-proxy-h2-");
  ({ certPath, keyPath, cert } = selfSignedCertificate(dir, ["example.com", "www.example.com"]));
  proxy = await startProxy({ dir, certificates: createCertificateStore({ stateDir: dir, logger: () => undefined, customCertificatePollMs: 0 }) });
  app = await startApp("app", (req, res) => {
    if (req.url === "/up") return void res.end("ok");
    res.setHeader("Content-Type", "text/plain");
    res.end(`${req.url} proto=${String(req.headers["x-forwarded-proto"])}`);
  });
});

afterEach(async () => {
  await proxy.stop();
  await app.close();
});

function h2Get(urlPath: string): Promise<{ status: number; body: string; alpn: string | undefined }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${proxy.httpsPort}`, { servername: "example.com", ca: cert });
    session.on("error", reject);
    const stream = session.request({ ":path": urlPath, ":authority": "example.com" });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status, body: Buffer.concat(chunks).toString("utf8"), alpn });
    });
    stream.on("error", reject);
    stream.end();
  });
}

function httpsGet(urlPath: string): Promise<{ status: number; body: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions & { ALPNProtocols: string[] } = {
      host: "127.0.0.1", port: proxy.httpsPort, path: urlPath, servername: "example.com", ca: cert,
      ALPNProtocols: ["http/1.1"], headers: { Host: "example.com" }, agent: false,
    };
    const req = https.request(
      options,
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), alpn: (res.socket as TLSSocket).alpnProtocol }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("HTTPS", () => {
  it("serves HTTP/2 and HTTP/1.1 over TLS with a custom certificate, and redirects plain HTTP", async () => {
    const deployed = await proxy.cli(
      "deploy", "app", `--target=${app.address}`, "--host=example.com", "--tls",
      `--tls-certificate-path=${certPath}`, `--tls-private-key-path=${keyPath}`,
    );
    expect(deployed.err).toBe("");
    expect(deployed.code).toBe(0);

    const h2 = await h2Get("/hello?x=1");
    expect(h2.alpn).toBe("h2");
    expect(h2.status).toBe(200);
    expect(h2.body).toBe("/hello?x=1 proto=https");

    const h1 = await httpsGet("/one");
    expect(h1.alpn).toBe("http/1.1");
    expect(h1.status).toBe(200);
    expect(h1.body).toBe("/one proto=https");

    const plain = await request(`${proxy.httpUrl}/path?q=1`, { headers: { Host: "example.com" } });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://example.com:${proxy.httpsPort}/path?q=1`);

    await sleep(20);
    const protos = proxy.requests().map((entry) => `${String(entry.proto)} ${String(entry.scheme)} ${String(entry.status)}`);
    expect(protos).toContain("HTTP/2.0 https 200");
    expect(protos).toContain("HTTP/1.1 https 200");
    expect(protos).toContain("HTTP/1.1 http 301");
  });

  it("serves plain HTTP too with --tls-redirect=false", async () => {
    await proxy.cli(
      "deploy", "app", `--target=${app.address}`, "--host=example.com", "--tls", "--tls-redirect=false",
      `--tls-certificate-path=${certPath}`, `--tls-private-key-path=${keyPath}`,
    );
    const plain = await request(`${proxy.httpUrl}/p`, { headers: { Host: "example.com" } });
    expect(plain.status).toBe(200);
    expect(plain.body).toBe("/p proto=http");
    expect((await h2Get("/s")).body).toBe("/s proto=https");
  });

  it("streams a large HTTP/2 response body intact", async () => {
    const big = "0123456789".repeat(50_000);
    await app.close();
    app = await startApp("big", (req, res) => {
      if (req.url === "/up") return void res.end("ok");
      res.end(big);
    });
    await proxy.cli(
      "deploy", "app", `--target=${app.address}`, "--host=example.com", "--tls",
      `--tls-certificate-path=${certPath}`, `--tls-private-key-path=${keyPath}`,
    );
    const response = await h2Get("/big");
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(big.length);
    expect(response.body).toBe(big);
  });
});

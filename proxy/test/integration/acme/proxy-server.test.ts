// The whole path through the core proxy: `kamal-proxy deploy --tls` over the control socket, the
// proxy's own port-80 HTTP-01 answers and its attached HTTPS listener for TLS-ALPN-01, pebble as the CA.

import { request } from "node:https";
import type { TLSSocket } from "node:tls";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { createCertificateStore, type AcmeChallengeType, type CertificateStore } from "../../../src/tls/index.js";
import { freePort, startPebble, type Pebble } from "../../helpers/pebble.js";
import { startApp, startProxy, type TestApp, type TestProxy } from "../../support/harness.js";

let pebble: Pebble;
let httpPort: number;
let httpsPort: number;
let running: { proxy: TestProxy; app: TestApp; store: CertificateStore } | undefined;

beforeAll(async () => {
  httpPort = await freePort();
  do httpsPort = await freePort();
  while (httpsPort === httpPort);
  pebble = await startPebble({ httpPort, tlsPort: httpsPort });
}, 30_000);

afterEach(async () => {
  if (!running) return;
  const { proxy, app, store } = running;
  running = undefined;
  await proxy.stop();
  store.close();
  await app.close();
});

afterAll(async () => {
  await pebble?.stop();
});

async function start(challengeOrder: AcmeChallengeType[]): Promise<{ proxy: TestProxy; events: Record<string, unknown>[] }> {
  const events: Record<string, unknown>[] = [];
  const store = createCertificateStore({ stateDir: "/nonexistent", logger: (event) => events.push(event), challengeOrder });
  const proxy = await startProxy({
    httpPort,
    httpsPort,
    certificates: store,
    acmeDirectory: pebble.directoryUrl,
    acmeCaBundlePath: pebble.caBundlePath,
  });
  const app = await startApp("hello from the app");
  running = { proxy, app, store };
  const deploy = await proxy.cli(
    "deploy", "web", `--target=${app.address}`, "--host=app.berth.test", "--tls",
    `--tls-acme-cache-path=${proxy.dir}/certs`,
  );
  expect(deploy.err).toBe("");
  expect(deploy.code).toBe(0);
  return { proxy, events };
}

function httpsGet(host: string): Promise<{ status: number; body: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: httpsPort, servername: host, headers: { host }, ca: pebble.issuingRootPem, path: "/", agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            authorized: (response.socket as TLSSocket).authorized,
          }),
        );
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end();
  });
}

describe("ACME through the Berth proxy server", () => {
  it("deploy --tls, then the first HTTPS request gets a pebble certificate via the proxy's port-80 HTTP-01 answers", async () => {
    const { events } = await start(["http-01"]);
    const response = await httpsGet("app.berth.test");
    expect(response).toEqual({ status: 200, body: "hello from the app", authorized: true });
    expect(events.filter((event) => event.event === "tls.acme_certificate_issued")).toHaveLength(1);
    expect(events.filter((event) => event.event === "tls.acme_challenge_failed")).toEqual([]);
  });

  it("issues over TLS-ALPN-01 on the proxy's own HTTPS listener", async () => {
    const { events } = await start(["tls-alpn-01"]);
    const response = await httpsGet("app.berth.test");
    expect(response).toEqual({ status: 200, body: "hello from the app", authorized: true });
    expect(events.filter((event) => event.event === "tls.alpn_challenge_served").length).toBeGreaterThanOrEqual(1);
    expect(events.filter((event) => event.event === "tls.acme_challenge_failed")).toEqual([]);
  });
});

// attach(): while a TLS-ALPN-01 validation is pending, "acme-tls/1" connections get the challenge
// certificate and every other connection still reaches the real server intact (its peeked bytes put back).

import { X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import { connect, createSecureContext, createServer, type Server, type TLSSocket } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { attachToServer, type AttachedServer } from "../../../src/tls/attach.js";
import { ChallengeRegistry } from "../../../src/tls/challenges.js";
import { createTlsAlpnCertificate, derToPem, generateCertificateKey } from "../../../src/tls/x509-build.js";

const HOST = "app.berth.test";

function selfSigned(cn: string): { cert: string; key: string } {
  // The ALPN builder makes a valid self-signed cert; its extension is irrelevant for the "real" one.
  const key = generateCertificateKey();
  return { cert: derToPem(createTlsAlpnCertificate(key, cn, `real-${cn}`), "CERTIFICATE"), key: key.export({ type: "pkcs8", format: "pem" }).toString() };
}

let server: Server | undefined;
let attached: AttachedServer | undefined;

afterEach(async () => {
  attached?.detach();
  const closing = server;
  server = undefined;
  if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
});

async function start(challenges: ChallengeRegistry, real: { cert: string; key: string }): Promise<number> {
  const realContext = createSecureContext(real);
  server = createServer({ SNICallback: (_name, cb) => cb(null, realContext), ALPNProtocols: ["http/1.1"] }, (socket) => {
    socket.on("data", (chunk) => socket.write(`echo:${chunk.toString()}`));
  });
  attached = attachToServer(server, {}, challenges, () => undefined);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function open(port: number, alpn: string[], maxVersion: "TLSv1.2" | "TLSv1.3" = "TLSv1.3"): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername: HOST, ALPNProtocols: alpn, rejectUnauthorized: false, maxVersion });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

function echo(socket: TLSSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once("data", (chunk: Buffer) => resolve(chunk.toString()));
    socket.write(text);
  });
}

describe("attach", () => {
  it.each(["TLSv1.3", "TLSv1.2"] as const)("routes acme-tls/1 to the challenge certificate and leaves other clients alone (%s)", async (version) => {
    const challenges = new ChallengeRegistry();
    const challengeKey = generateCertificateKey();
    const challengePem = derToPem(createTlsAlpnCertificate(challengeKey, HOST, "token.thumb"), "CERTIFICATE");
    challenges.addAlpn(HOST, createSecureContext({ cert: challengePem, key: challengeKey.export({ type: "pkcs8", format: "pem" }) }));
    const real = selfSigned(HOST);
    const port = await start(challenges, real);

    const validator = await open(port, ["acme-tls/1"], version);
    expect(validator.alpnProtocol).toBe("acme-tls/1");
    expect(validator.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(challengePem).fingerprint256);
    validator.destroy();

    const browser = await open(port, ["http/1.1"], version);
    expect(browser.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(real.cert).fingerprint256);
    expect(await echo(browser, "ping")).toBe("echo:ping");
    browser.destroy();
  });

  it("hands acme-tls/1 connections to the real server when no validation is pending", async () => {
    const port = await start(new ChallengeRegistry(), selfSigned(HOST));
    // The real server only speaks http/1.1, so it refuses the protocol: proof nothing intercepted it.
    await expect(open(port, ["acme-tls/1"])).rejects.toThrow(/no application protocol/);
  });
});

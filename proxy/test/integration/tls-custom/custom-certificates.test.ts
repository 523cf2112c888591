// Custom certificate pairs through a real HTTPS server: served for every host of the service (wildcards
// too), validated at setService, hot-reloaded when the files change.

import { execFileSync } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { connect, type PeerCertificate } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TlsError, createCertificateStore, type CertificateStore } from "../../../src/tls/index.js";

let dir: string;
const pairs: Record<"a" | "b", { cert: string; key: string }> = { a: { cert: "", key: "" }, b: { cert: "", key: "" } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-custom-cert-"));
  for (const name of ["a", "b"] as const) {
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    execFileSync("openssl", [
      "req", "-x509", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-days", "2",
      "-subj", `/CN=custom-${name}`, "-addext", "subjectAltName=DNS:app.example.test,DNS:*.wild.example.test",
      "-keyout", key, "-out", cert,
    ], { stdio: "ignore" });
    pairs[name] = { cert, key };
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Running {
  store: CertificateStore;
  server: Server;
  port: number;
  events: Record<string, unknown>[];
}
let running: Running | undefined;

afterEach(async () => {
  if (!running) return;
  running.store.close();
  const server = running.server;
  running = undefined;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function start(): Promise<Running> {
  const events: Record<string, unknown>[] = [];
  const store = createCertificateStore({ stateDir: dir, logger: (event) => events.push(event), customCertificatePollMs: 100 });
  const server = createServer({ SNICallback: store.sniCallback, ALPNProtocols: store.alpnProtocols }, (_req, res) => res.end("ok"));
  store.attach(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  running = { store, server, port: (server.address() as AddressInfo).port, events };
  return running;
}

function peer(port: number, servername: string | undefined, ca: string): Promise<{ certificate: PeerCertificate; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername, ca, rejectUnauthorized: false });
    socket.once("secureConnect", () => {
      resolve({ certificate: socket.getPeerCertificate(), authorized: socket.authorized });
      socket.end();
    });
    socket.once("error", reject);
  });
}

async function copyPair(from: "a" | "b", to: { cert: string; key: string }): Promise<void> {
  await copyFile(pairs[from].key, to.key);
  await copyFile(pairs[from].cert, to.cert);
}

describe("custom certificates", () => {
  it("serves the pair for every host of the service, wildcard hosts included, and for clients without SNI", async () => {
    const { store, port } = await start();
    await store.setService("web", {
      hosts: ["app.example.test", "*.wild.example.test"],
      certificatePath: pairs.a.cert,
      privateKeyPath: pairs.a.key,
    });
    const ca = await readFile(pairs.a.cert, "utf8");

    const exact = await peer(port, "app.example.test", ca);
    const wildcard = await peer(port, "deep.wild.example.test", ca);
    const noSni = await peer(port, undefined, ca);

    expect(exact.authorized).toBe(true);
    expect(exact.certificate.subject.CN).toBe("custom-a");
    expect(wildcard.authorized).toBe(true);
    expect(wildcard.certificate.subject.CN).toBe("custom-a");
    expect(noSni.certificate.subject.CN).toBe("custom-a");
    await expect(peer(port, "other.example.test", ca)).rejects.toThrow();
    expect(store.certificates().map((info) => [info.host, info.source])).toEqual([
      ["app.example.test", "custom"],
      ["*.wild.example.test", "custom"],
    ]);
  });

  it("rejects a key that does not belong to the certificate, naming both files, and keeps the previous pair", async () => {
    const { store, port } = await start();
    await store.setService("web", { hosts: ["app.example.test"], certificatePath: pairs.a.cert, privateKeyPath: pairs.a.key });

    const attempt = store.setService("web", { hosts: ["app.example.test"], certificatePath: pairs.a.cert, privateKeyPath: pairs.b.key });

    await expect(attempt).rejects.toBeInstanceOf(TlsError);
    await expect(attempt).rejects.toThrow(`TLS private key ${pairs.b.key} does not match certificate ${pairs.a.cert}`);
    const served = await peer(port, "app.example.test", await readFile(pairs.a.cert, "utf8"));
    expect(served.authorized).toBe(true);
  });

  it("names the missing file, and refuses a certificate without its key", async () => {
    const { store } = await start();
    const missing = join(dir, "missing.crt");
    await expect(
      store.setService("web", { hosts: ["app.example.test"], certificatePath: missing, privateKeyPath: pairs.a.key }),
    ).rejects.toThrow(`TLS certificate file ${missing} cannot be read`);
    await expect(store.setService("web", { hosts: ["app.example.test"], certificatePath: pairs.a.cert })).rejects.toThrow(
      "service web: a custom TLS certificate needs both a certificate path and a private key path",
    );
    const garbage = join(dir, "garbage.crt");
    await writeFile(garbage, "not a certificate\n");
    await expect(
      store.setService("web", { hosts: ["app.example.test"], certificatePath: garbage, privateKeyPath: pairs.a.key }),
    ).rejects.toThrow(`TLS certificate ${garbage} contains no PEM "CERTIFICATE" block`);
  });

  it("hot-reloads a rotated pair without a redeploy and keeps serving the old one if the new files do not match", async () => {
    const { store, port, events } = await start();
    const live = { cert: join(dir, "live.crt"), key: join(dir, "live.key") };
    await copyPair("a", live);
    await store.setService("web", { hosts: ["app.example.test"], certificatePath: live.cert, privateKeyPath: live.key });
    const caA = await readFile(pairs.a.cert, "utf8");
    const caB = await readFile(pairs.b.cert, "utf8");
    expect((await peer(port, "app.example.test", caA)).certificate.subject.CN).toBe("custom-a");

    await copyPair("b", live);
    await waitFor(async () => (await peer(port, "app.example.test", caB)).certificate.subject.CN === "custom-b", 5000);
    expect(events.some((event) => event.event === "tls.custom_certificate_reloaded")).toBe(true);

    const failures = (): Record<string, unknown>[] =>
      events.filter((event) => event.event === "tls.custom_certificate_reload_failed");
    const failuresBefore = failures().length;
    await copyFile(pairs.a.cert, live.cert); // key stays b: a broken rotation
    await waitFor(() => failures().length > failuresBefore, 5000);
    const failure = failures().at(-1)!;
    expect(String(failure.error)).toContain(`does not match certificate ${live.cert}`);
    expect((await peer(port, "app.example.test", caB)).certificate.subject.CN).toBe("custom-b");
  });
});

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

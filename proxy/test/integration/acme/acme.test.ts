// Real ACME against pebble: HTTP-01 and TLS-ALPN-01 issuance, SNI handshakes verified against pebble's root,
// background renewal, the cache across restarts, the host policy.

import { X509Certificate, createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  acmeSettings,
  eventsNamed,
  handshake,
  openStore,
  startHarness,
  waitUntil,
  type Harness,
  type StoreUnderTest,
} from "./harness.js";

let harness: Harness;
const opened: StoreUnderTest[] = [];

beforeAll(async () => {
  harness = await startHarness();
}, 30_000);

afterEach(async () => {
  // Also after a failed test, so the next one can listen on the TLS port.
  for (const store of opened.splice(0)) await store.close();
  harness.answerHttp01 = true;
  harness.http01DelayMs = 0;
});

afterAll(async () => {
  await harness?.stop();
});

async function open(options: Parameters<typeof openStore>[1] = {}): Promise<StoreUnderTest> {
  const store = await openStore(harness, options);
  opened.push(store);
  return store;
}

async function closeStore(store: StoreUnderTest): Promise<void> {
  opened.splice(opened.indexOf(store), 1);
  await store.close();
}

function serialOf(handshakeResult: { certificate: { serialNumber: string } }): string {
  return handshakeResult.certificate.serialNumber.replace(/^0+/, "").toUpperCase();
}

describe("ACME against pebble", () => {
  it("issues over HTTP-01 on the first handshake and serves a chain that verifies against pebble's root", async () => {
    const subject = await open({ challengeOrder: ["http-01"] });
    const host = "http01.berth.test";
    await subject.store.setService("web", { hosts: [host], acme: acmeSettings(harness) });
    harness.httpRequests.length = 0;

    const result = await handshake(harness.tlsPort, host, harness.pebble.issuingRootPem);

    expect(result.authorizationError).toBeUndefined();
    expect(result.authorized).toBe(true);
    expect(result.certificate.subjectaltname).toBe(`DNS:${host}`);
    expect(harness.httpRequests.some((line) => line.startsWith(`${host}:${harness.httpPort} /.well-known/acme-challenge/`) || line.startsWith(`${host} /.well-known/acme-challenge/`))).toBe(true);
    expect(eventsNamed(subject.events, "tls.alpn_challenge_served")).toHaveLength(0);
    const issued = eventsNamed(subject.events, "tls.acme_certificate_issued");
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ host, reason: "handshake", serial: serialOf(result) });
    await closeStore(subject);
  });

  it("issues over TLS-ALPN-01 through an attached HTTP/2 server, never touching port 80", async () => {
    const subject = await open({ challengeOrder: ["tls-alpn-01"], http2: true });
    const host = "alpn.berth.test";
    await subject.store.setService("web", { hosts: [host], acme: acmeSettings(harness) });
    harness.httpRequests.length = 0;

    const result = await handshake(harness.tlsPort, host, harness.pebble.issuingRootPem);

    expect(result.authorized).toBe(true);
    expect(result.certificate.subjectaltname).toBe(`DNS:${host}`);
    expect(harness.httpRequests).toEqual([]);
    expect(eventsNamed(subject.events, "tls.alpn_challenge_served").length).toBeGreaterThanOrEqual(1);
    expect(eventsNamed(subject.events, "tls.acme_certificate_issued")).toHaveLength(1);
    await closeStore(subject);
  });

  it("answers TLS-ALPN-01 from sniCallback alone for a host's first certificate (server not attached)", async () => {
    const subject = await open({ challengeOrder: ["tls-alpn-01"], attach: false });
    const host = "alpn-plain.berth.test";
    await subject.store.setService("web", { hosts: [host], acme: acmeSettings(harness) });

    const info = await subject.store.ensureCertificate(host);
    const result = await handshake(harness.tlsPort, host, harness.pebble.issuingRootPem);

    expect(result.authorized).toBe(true);
    expect(serialOf(result)).toBe(info.serialNumber);
    await closeStore(subject);
  });

  it("falls back from a failing HTTP-01 to TLS-ALPN-01 and logs the CA's problem detail with the host", async () => {
    const subject = await open();
    const host = "fallback.berth.test";
    await subject.store.setService("web", { hosts: [host], acme: acmeSettings(harness) });
    harness.answerHttp01 = false;
    try {
      const result = await handshake(harness.tlsPort, host, harness.pebble.issuingRootPem);
      expect(result.authorized).toBe(true);
    } finally {
      harness.answerHttp01 = true;
    }
    const failed = eventsNamed(subject.events, "tls.acme_challenge_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ host, challenge: "http-01" });
    expect(String(failed[0]!.error)).toMatch(/404|unauthorized/i);
    expect(eventsNamed(subject.events, "tls.acme_certificate_issued")).toHaveLength(1);
    await closeStore(subject);
  });

  it("reports a clear error when no challenge can succeed, without blocking other hosts' handshakes meanwhile", async () => {
    const subject = await open({ challengeOrder: ["http-01"] });
    const failing = "nochallenge.berth.test";
    const healthy = "healthy.berth.test";
    await subject.store.setService("broken", { hosts: [failing], acme: acmeSettings(harness) });
    await subject.store.setService("ok", { hosts: [healthy], acme: acmeSettings(harness) });
    await subject.store.ensureCertificate(healthy);
    harness.answerHttp01 = false;
    harness.http01DelayMs = 1500; // the failing issuance is still validating while the other host connects
    try {
      let failingSettled = false;
      const failingHandshake = handshake(harness.tlsPort, failing, harness.pebble.issuingRootPem).then(
        () => "connected",
        () => "failed",
      ).finally(() => (failingSettled = true));
      await waitUntil(() => eventsNamed(subject.events, "tls.acme_issuing").some((event) => event.host === failing), 5000, "issuance start");
      const started = Date.now();
      const other = await handshake(harness.tlsPort, healthy, harness.pebble.issuingRootPem);
      expect(other.authorized).toBe(true);
      expect(Date.now() - started).toBeLessThan(500);
      expect(failingSettled).toBe(false);
      expect(await failingHandshake).toBe("failed");
      await expect(subject.store.ensureCertificate(failing)).rejects.toThrow(
        new RegExp(`${failing.replace(/\./g, "\\.")}.*http-01.*(404|unauthorized)`, "i"),
      );
    } finally {
      harness.answerHttp01 = true;
      harness.http01DelayMs = 0;
    }
    const failed = eventsNamed(subject.events, "tls.acme_issue_failed");
    expect(failed[0]).toMatchObject({ host: failing });
    expect(String(failed[0]!.error)).toContain(failing);
    await closeStore(subject);
  });

  it("deduplicates concurrent issuance for one host into a single order", async () => {
    const subject = await open({ challengeOrder: ["http-01"] });
    const host = "dedupe.berth.test";
    await subject.store.setService("web", { hosts: [host], acme: acmeSettings(harness) });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => handshake(harness.tlsPort, host, harness.pebble.issuingRootPem)),
    );
    expect(results.every((result) => result.authorized)).toBe(true);
    expect(new Set(results.map(serialOf)).size).toBe(1);
    expect(eventsNamed(subject.events, "tls.acme_issuing")).toHaveLength(1);
    await closeStore(subject);
  });

  it("renews in the background ahead of expiry and serves the new certificate without a restart", async () => {
    // A window as long as the lifetime: every certificate is due at once, so renewal starts on the next check.
    const subject = await open({
      renewal: { remainingFraction: 1, maxRemainingMs: Number.MAX_SAFE_INTEGER, checkIntervalMs: 200 },
    });
    const host = "renew.berth.test";
    await subject.store.setService("web", { hosts: [host], acme: acmeSettings(harness) });
    const first = await handshake(harness.tlsPort, host, harness.pebble.issuingRootPem);
    const firstSerial = serialOf(first);

    await waitUntil(
      () => eventsNamed(subject.events, "tls.acme_certificate_issued").some((event) => event.reason === "renewal"),
      15_000,
      "a renewal",
    );
    const second = await handshake(harness.tlsPort, host, harness.pebble.issuingRootPem);

    expect(second.authorized).toBe(true);
    expect(serialOf(second)).not.toBe(firstSerial);
    await closeStore(subject);
  });

  it("reloads the cached certificate after a restart without a new order, in kamal-proxy's cache layout", async () => {
    const cacheDir = join(harness.tempDir, "restart-cache");
    const host = "restart.berth.test";
    const before = await open();
    await before.store.setService("web", { hosts: [host], acme: acmeSettings(harness, cacheDir) });
    const issued = await handshake(harness.tlsPort, host, harness.pebble.issuingRootPem);
    await closeStore(before);

    const after = await open();
    await after.store.setService("web", { hosts: [host], acme: acmeSettings(harness, cacheDir) });
    const served = await handshake(harness.tlsPort, host, harness.pebble.issuingRootPem);

    expect(served.authorized).toBe(true);
    expect(serialOf(served)).toBe(serialOf(issued));
    expect(eventsNamed(after.events, "tls.acme_issuing")).toHaveLength(0);
    expect(eventsNamed(after.events, "tls.acme_account_ready")).toHaveLength(0);
    expect(eventsNamed(after.events, "tls.acme_certificate_loaded")).toMatchObject([{ host, serial: serialOf(issued) }]);

    const scope = join(cacheDir, createHash("sha256").update(harness.pebble.directoryUrl).digest("hex"));
    expect((await readdir(scope)).sort()).toEqual(["acme_account+key", host]);
    const entry = await readFile(join(scope, host), "utf8");
    expect(entry.startsWith("-----BEGIN EC PRIVATE KEY-----")).toBe(true);
    expect(new X509Certificate(entry).serialNumber.replace(/^0+/, "").toUpperCase()).toBe(serialOf(issued));
    await closeStore(after);
  });

  it("refuses hosts outside the policy: no certificate and no ACME order", async () => {
    const subject = await open();
    await subject.store.setService("web", { hosts: ["policy.berth.test"], acme: acmeSettings(harness) });

    await expect(handshake(harness.tlsPort, "intruder.berth.test", harness.pebble.issuingRootPem)).rejects.toThrow();
    await expect(subject.store.ensureCertificate("intruder.berth.test")).rejects.toThrow(/no TLS service for host intruder\.berth\.test/);
    expect(eventsNamed(subject.events, "tls.acme_issuing")).toHaveLength(0);
    expect(subject.store.certificates()).toEqual([]);
    await expect(
      subject.store.setService("wild", { hosts: ["*.berth.test"], acme: acmeSettings(harness) }),
    ).rejects.toThrow(/automatic TLS does not support wildcards \(\*\.berth\.test\)/);
    await closeStore(subject);
  });

  it("serves clients without SNI the default host's certificate once attached", async () => {
    const subject = await open();
    const host = "default.berth.test";
    await subject.store.setService("web", { hosts: [host, "second.berth.test"], acme: acmeSettings(harness) });
    await subject.store.ensureCertificate(host);

    const result = await handshake(harness.tlsPort, undefined, harness.pebble.issuingRootPem);

    expect(result.certificate.subjectaltname).toBe(`DNS:${host}`);
    await closeStore(subject);
  });
});

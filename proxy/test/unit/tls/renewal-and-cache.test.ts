import { describe, expect, it } from "vitest";
import { DEFAULT_RENEWAL_POLICY } from "../../../src/tls/index.js";
import { acmeScopeDir, renewalTime } from "../../../src/tls/acme/manager.js";
import { formatCertificateEntry, parseCertificateEntry } from "../../../src/tls/acme/cache.js";

const DAY = 24 * 3600_000;

describe("renewalTime", () => {
  it("renews a 90-day certificate 30 days before expiry", () => {
    const notBefore = new Date("2025-01-01T00:00:00Z");
    const notAfter = new Date(notBefore.getTime() + 90 * DAY);
    expect(renewalTime(notBefore, notAfter, DEFAULT_RENEWAL_POLICY).toISOString()).toBe("2025-03-02T00:00:00.000Z");
  });

  it("renews a short-lived 6-day certificate when a third of its life is left, not 30 days early", () => {
    const notBefore = new Date("2025-01-01T00:00:00Z");
    const notAfter = new Date(notBefore.getTime() + 6 * DAY);
    expect(renewalTime(notBefore, notAfter, DEFAULT_RENEWAL_POLICY).toISOString()).toBe("2025-01-05T00:00:00.000Z");
  });
});

describe("ACME cache layout", () => {
  it("scopes by the hex SHA-256 of the directory URL, like kamal-proxy", () => {
    // sha256sum of the URL, computed outside Node.
    expect(acmeScopeDir("/home/kamal-proxy/.config/kamal-proxy/certs", "https://acme-v02.api.letsencrypt.org/directory")).toBe(
      "/home/kamal-proxy/.config/kamal-proxy/certs/5e76d31517ecd6640e53c916ed3788eb8924f8e1c02ff12843ce031d749bf43e",
    );
  });

  it("writes key then chain, as autocert does, and reads both back", () => {
    const key = "-----BEGIN EC PRIVATE KEY-----\nAAA\n-----END EC PRIVATE KEY-----\n";
    const chain = "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nCCC\n-----END CERTIFICATE-----\n";
    const entry = formatCertificateEntry(key, chain);
    expect(entry.indexOf("EC PRIVATE KEY")).toBeLessThan(entry.indexOf("CERTIFICATE-----\nBBB"));
    expect(parseCertificateEntry(entry)).toEqual({ keyPem: key.trimEnd(), chainPem: chain });
    expect(parseCertificateEntry(chain)).toBeUndefined();
    expect(parseCertificateEntry(key)).toBeUndefined();
  });
});

// Store behaviour that needs no network: settings validation, challenge answers, directory choice.

import { describe, expect, it } from "vitest";
import {
  LETS_ENCRYPT_PRODUCTION_DIRECTORY,
  LETS_ENCRYPT_STAGING_DIRECTORY,
  TlsError,
  createCertificateStore,
  resolveAcmeDirectory,
  type TlsServiceSettings,
} from "../../../src/tls/index.js";
import { ChallengeRegistry } from "../../../src/tls/challenges.js";

const acme = { directoryUrl: "https://acme.test/dir", cacheDir: "/nonexistent/berth-test-cache" };

function store() {
  return createCertificateStore({ stateDir: "/nonexistent/berth-state", logger: () => undefined });
}

async function rejection(settings: TlsServiceSettings): Promise<Error> {
  const subject = store();
  try {
    return await subject.setService("app-web", settings).then(
      () => new Error("accepted"),
      (error: Error) => error,
    );
  } finally {
    subject.close();
  }
}

describe("setService validation", () => {
  it("refuses wildcard hosts for ACME with kamal-proxy's reason", async () => {
    const error = await rejection({ hosts: ["app.example.com", "*.example.com"], acme });
    expect(error).toBeInstanceOf(TlsError);
    expect(error.message).toBe("service app-web: automatic TLS does not support wildcards (*.example.com); use a custom certificate");
  });

  it("refuses IP addresses and non-DNS names for ACME", async () => {
    expect((await rejection({ hosts: ["10.0.0.1"], acme })).message).toBe(
      "service app-web: automatic TLS needs DNS names, not IP addresses (10.0.0.1)",
    );
    expect((await rejection({ hosts: ["bad_host!.example"], acme })).message).toBe(
      'service app-web: "bad_host!.example" is not a valid DNS name for automatic TLS',
    );
  });

  it("requires hosts, exactly one certificate source and a URL for the directory", async () => {
    expect((await rejection({ hosts: [], acme })).message).toBe("service app-web: TLS requires at least one host");
    expect((await rejection({ hosts: ["a.test"] })).message).toBe("service app-web: TLS needs ACME settings or a custom certificate");
    expect(
      (await rejection({ hosts: ["a.test"], acme, certificatePath: "/c.pem", privateKeyPath: "/k.pem" })).message,
    ).toBe("service app-web: use either a custom TLS certificate or ACME, not both");
    expect((await rejection({ hosts: ["a.test"], acme: { ...acme, directoryUrl: "not a url" } })).message).toBe(
      'service app-web: ACME directory URL "not a url" is not a URL',
    );
  });

  it("configures ACME lazily: no network and no files touched until a handshake needs a certificate", async () => {
    const subject = store();
    await subject.setService("app-web", { hosts: ["App.Example.com"], acme });
    expect(subject.certificates()).toEqual([]);
    const selected = await new Promise<string>((resolve) =>
      subject.sniCallback("unknown.example.com", (error) => resolve(error?.message ?? "context")),
    );
    expect(selected).toBe("no TLS service for host unknown.example.com");
    subject.close();
  });
});

describe("HTTP-01 answers", () => {
  it("answer only the token's own host, ignoring a port in the Host header", () => {
    const registry = new ChallengeRegistry();
    registry.addHttp("app.example.com", "tok", "tok.thumb");
    expect(registry.httpResponse("app.example.com", "tok")).toBe("tok.thumb");
    expect(registry.httpResponse("other.example.com", "tok")).toBeUndefined();
    registry.removeHttp("tok");
    expect(registry.httpResponse("app.example.com", "tok")).toBeUndefined();

    const subject = store();
    expect(subject.httpChallenge("app.example.com:80", "missing")).toBeUndefined();
    subject.close();
  });
});

describe("resolveAcmeDirectory", () => {
  it("defaults to Let's Encrypt production, --tls-staging picks staging, the env override wins", () => {
    expect(resolveAcmeDirectory({ staging: false, env: {} })).toEqual({ directoryUrl: LETS_ENCRYPT_PRODUCTION_DIRECTORY });
    expect(resolveAcmeDirectory({ staging: true, env: {} })).toEqual({ directoryUrl: LETS_ENCRYPT_STAGING_DIRECTORY });
    expect(
      resolveAcmeDirectory({
        staging: true,
        env: { KAMAL_PROXY_ACME_DIRECTORY: "https://pebble:14000/dir", KAMAL_PROXY_ACME_CA: "/etc/pebble.pem" },
      }),
    ).toEqual({ directoryUrl: "https://pebble:14000/dir", caBundlePath: "/etc/pebble.pem" });
  });
});

import { describe, expect, it } from "vitest";
import { Redacted } from "../../../src/core/cmd.js";
import type { SecretsLookup } from "../../../src/secrets/types.js";
import { BerthError } from "../../../src/util/errors.js";
import { sshLogLevel, sshSettingsFromKamal, sshkitSettingsFromKamal } from "../../../src/transport/ssh-settings.js";

function secrets(values: Record<string, string>): SecretsLookup {
  return {
    get: (name) => {
      if (!(name in values)) throw new BerthError(`Secret '${name}' not found in .kamal/secrets`);
      return values[name]!;
    },
    has: (name) => name in values,
    all: () => values,
    files: [".kamal/secrets"],
  };
}

describe("ssh settings from deploy.yml", () => {
  it("leaves unset keys unset, so the user's ssh config decides", () => {
    expect(sshSettingsFromKamal({})).toEqual({});
    expect(sshSettingsFromKamal(undefined)).toEqual({});
  });

  it("reads key_data as secret names, keeping inline PEM as Kamal still does, always redacted", () => {
    const pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";
    const settings = sshSettingsFromKamal({ key_data: ["SSH_KEY", pem] }, secrets({ SSH_KEY: "key-from-secrets" }));
    expect(settings.keyData?.map((key) => key.value)).toEqual(["key-from-secrets", pem]);
    expect(settings.keyData?.every((key) => key instanceof Redacted && String(key) === "[REDACTED]")).toBe(true);
  });

  it("names the key that is wrong", () => {
    expect(() => sshSettingsFromKamal({ key_data: ["SSH_KEY"] })).toThrow(/ssh\.key_data\[0\]: secret SSH_KEY/);
    expect(() => sshSettingsFromKamal({ key_data: ["NOPE"] }, secrets({}))).toThrow(/Secret 'NOPE' not found/);
    expect(() => sshSettingsFromKamal({ port: "22a" })).toThrow(/ssh\.port: "22a" is not a port number/);
    expect(() => sshSettingsFromKamal({ port: 70000 })).toThrow(BerthError);
    expect(() => sshSettingsFromKamal({ log_level: "loud" })).toThrow(/ssh\.log_level: unknown level "loud"/);
    expect(() => sshkitSettingsFromKamal({ max_concurrent_starts: 0 })).toThrow(/sshkit\.max_concurrent_starts/);
  });

  it("maps net-ssh log levels to OpenSSH's, never quieter than ERROR", () => {
    expect(["debug", "info", "warn", "error", "fatal", "DEBUG"].map(sshLogLevel)).toEqual([
      "DEBUG", "VERBOSE", "INFO", "ERROR", "ERROR", "DEBUG",
    ]);
  });

  it("maps sshkit:", () => {
    expect(sshkitSettingsFromKamal({ max_concurrent_starts: 10, pool_idle_timeout: 300, dns_retries: 0 })).toEqual({
      maxConcurrentStarts: 10,
      poolIdleTimeout: 300,
      dnsRetries: 0,
    });
  });
});

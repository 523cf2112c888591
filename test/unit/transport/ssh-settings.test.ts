import { homedir } from "node:os";
import { describe, expect, it } from "vitest";
import { Redacted } from "../../../src/core/cmd.js";
import { Ssh, Sshkit } from "../../../src/config/index.js";
import { sshSettings, sshkitSettings } from "../../../src/deploy/connection.js";
import type { SecretsLookup } from "../../../src/secrets/types.js";
import { BerthError } from "../../../src/util/errors.js";
import { SshTransport } from "../../../src/transport/index.js";
import { sshLogLevel } from "../../../src/transport/ssh-settings.js";

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

/** The transport's settings for an `ssh:` section as written (the one reading: the Ssh model). */
const settingsOf = (raw: Record<string, unknown>, lookup?: SecretsLookup, readable?: (path: string) => boolean) =>
  sshSettings(new Ssh(raw, lookup, "/work/app"), readable);

describe("ssh settings from deploy.yml", () => {
  it("leaves unset keys unset, so the user's ssh config decides (Kamal's view still says root on port 22)", () => {
    expect(settingsOf({})).toEqual({});
    const ssh = new Ssh({}, undefined);
    expect([ssh.user, ssh.port, ssh.configuredUser, ssh.configuredPort]).toEqual(["root", 22, undefined, undefined]);
  });

  it("reads key_data as secret names, keeping inline PEM as Kamal still does, always redacted", () => {
    const pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";
    const settings = settingsOf({ key_data: ["SSH_KEY", pem] }, secrets({ SSH_KEY: "key-from-secrets" }));
    expect(settings.keyData?.map((key) => key.value)).toEqual(["key-from-secrets", pem]);
    expect(settings.keyData?.every((key) => key instanceof Redacted && String(key) === "[REDACTED]")).toBe(true);
  });

  it("resolves ssh.config and ssh.keys as Kamal does (against the working directory, ~ as home) and refuses a config file it can't read", () => {
    const readable = (path: string): boolean => path === "/work/app/ssh_config" || path === `${homedir()}/.ssh/berth`;
    const settings = settingsOf({ config: "ssh_config", keys: ["keys/deploy", "~/.ssh/id", "/etc/ci"] }, undefined, readable);
    expect(settings.config).toEqual(["/work/app/ssh_config"]);
    expect(settings.keys).toEqual(["/work/app/keys/deploy", `${homedir()}/.ssh/id`, "/etc/ci"]);
    expect(settingsOf({ config: ["~/.ssh/berth"] }, undefined, readable).config).toEqual([`${homedir()}/.ssh/berth`]);
    expect(settingsOf({ config: false }, undefined, readable).config).toBe(false);
    // A missing file would be skipped by OpenSSH's Include, and its StrictHostKeyChecking with it.
    expect(() => settingsOf({ config: "missing_config" }, undefined, readable)).toThrow(
      "ssh.config: cannot read the SSH config file missing_config (/work/app/missing_config, resolved against /work/app as Kamal does). Fix the path or remove the setting",
    );
    expect(() => settingsOf({ config: ["ssh_config", "/etc/none"] }, undefined, readable)).toThrow(/^ssh\.config\[1\]: cannot read the SSH config file \/etc\/none\. /);
  });

  it("names the key that is wrong", () => {
    expect(() => settingsOf({ key_data: ["SSH_KEY"] })).toThrow(/ssh\.key_data\[0\]: secret SSH_KEY/);
    expect(() => settingsOf({ key_data: ["NOPE"] }, secrets({}))).toThrow(/Secret 'NOPE' not found/);
    expect(() => settingsOf({ port: "22a" })).toThrow(/ssh\.port: "22a" is not a port number/);
    expect(() => settingsOf({ port: 70000 })).toThrow(BerthError);
    expect(() => new SshTransport({ ssh: settingsOf({ log_level: "loud" }) })).toThrow(/ssh\.log_level: unknown level "loud"/);
    expect(() => sshkitSettings(new Sshkit({ max_concurrent_starts: 0 }))).toThrow(/sshkit\.max_concurrent_starts/);
  });

  it("maps net-ssh log levels to OpenSSH's, never quieter than ERROR", () => {
    expect(["debug", "info", "warn", "error", "fatal", "DEBUG"].map(sshLogLevel)).toEqual([
      "DEBUG", "VERBOSE", "INFO", "ERROR", "ERROR", "DEBUG",
    ]);
  });

  it("maps sshkit:, leaving an unset idle timeout to the transport", () => {
    expect(sshkitSettings(new Sshkit({ max_concurrent_starts: 10, pool_idle_timeout: 300, dns_retries: 0 }))).toEqual({
      maxConcurrentStarts: 10,
      poolIdleTimeout: 300,
      dnsRetries: 0,
    });
    expect(sshkitSettings(new Sshkit({}))).toEqual({ maxConcurrentStarts: 30, dnsRetries: 3 });
  });
});

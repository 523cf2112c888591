import { describe, expect, it } from "vitest";
import { lookupAdapter } from "../../../../src/secrets/adapters/index.js";
import { fetchSecretValues } from "../../../../src/secrets/cli.js";
import { BerthError } from "../../../../src/util/errors.js";

describe("adapter lookup", () => {
  it.each([
    ["1password", "1Password"],
    ["1Password", "1Password"],
    ["one_password", "1Password"],
    ["OnePassword", "1Password"],
    ["bitwarden", "Bitwarden"],
    ["bitwarden-sm", "Bitwarden Secrets Manager"],
    ["bitwarden_secrets_manager", "Bitwarden Secrets Manager"],
    ["lastpass", "LastPass"],
    ["last_pass", "LastPass"],
    ["aws_secrets_manager", "AWS Secrets Manager"],
    ["doppler", "Doppler"],
    ["gcp", "Google Secret Manager"],
    ["gcp_secret_manager", "Google Secret Manager"],
    ["enpass", "Enpass"],
    ["passbolt", "Passbolt"],
    ["test", "test"],
  ])("%s → %s", (name, label) => {
    expect(lookupAdapter(name).label).toBe(label);
  });

  it("rejects an unknown adapter by name", () => {
    expect(() => lookupAdapter("keychain")).toThrow(BerthError);
    expect(() => lookupAdapter("keychain")).toThrow(/^Unknown secrets adapter: keychain/);
    expect(() => lookupAdapter("__proto__")).toThrow(/^Unknown secrets adapter/);
  });
});

describe("test adapter", () => {
  it("reverses each (prefixed) name, as Kamal's does", () => {
    expect({ ...fetchSecretValues(["SECRET1", "SECRET2"], { adapter: "test", account: "acct", from: "vault" }) }).toEqual({
      "vault/SECRET1": "1TERCES/tluav",
      "vault/SECRET2": "2TERCES/tluav",
    });
  });

  it("requires an account, as Kamal's does", () => {
    expect(() => fetchSecretValues(["A"], { adapter: "test" })).toThrow(/No value provided for required options '--account'/);
  });
});

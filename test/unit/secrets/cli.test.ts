import { describe, expect, it } from "vitest";
import { extract, fetch, print } from "../../../src/secrets/cli.js";
import { isInlineSecretsCommand, runInlineSecretsCommand } from "../../../src/secrets/inline.js";
import type { SecretsLookup } from "../../../src/secrets/types.js";
import { BerthError } from "../../../src/util/errors.js";

describe("secrets fetch", () => {
  it("prints the results as JSON that `secrets extract` reads, as `kamal secrets fetch` does", () => {
    const printed = fetch(["A B", "x$y"], { adapter: "test", account: "acct" });
    expect(printed).toBe('{"A B":"B A","x$y":"y$x"}');
    expect(extract("x$y", printed)).toBe("y$x");
  });

  it("shell-escapes the JSON with --inline (what a secrets file's $(kamal secrets fetch) gets)", () => {
    expect(fetch(["A B", "x$y"], { adapter: "test", account: "acct", inline: true })).toBe(String.raw`\{\"A\ B\":\"B\ A\",\"x\$y\":\"y\$x\"\}`);
  });

  it("rejects an unknown adapter and a missing required account", () => {
    expect(() => fetch(["A"], { adapter: "vaultx" })).toThrow(BerthError);
    expect(() => fetch(["A"], { adapter: "test", account: "" })).toThrow(/No value provided for required options '--account'/);
  });
});

describe("secrets extract", () => {
  const json = JSON.stringify({ "MyVault/MyItem/DB_PASSWORD": "db", "MyVault/MyItem/REGISTRY_PASSWORD": "reg", EXACT: "exact", PORT: 5432, "x/EMPTY": "" });

  it("finds an exact key first, else the first key ending in /NAME", () => {
    expect(extract("EXACT", json)).toBe("exact");
    expect(extract("DB_PASSWORD", json)).toBe("db");
    expect(extract("MyItem/REGISTRY_PASSWORD", json)).toBe("reg");
    expect(extract("EMPTY", json)).toBe("");
  });

  it("prints non-string values as JSON text", () => {
    expect(extract("PORT", json)).toBe("5432");
  });

  it("names a missing secret, and never echoes the JSON", () => {
    expect(() => extract("NOPE", json)).toThrow("Could not find secret NOPE");
    expect(() => extract("A", '{"A": "s3cret"')).toThrow(/not valid JSON/);
    expect(() => extract("A", '{"A": "s3cret"')).not.toThrow(/s3cret/);
    expect(() => extract("A", '["s3cret"]')).toThrow(/not a JSON object/);
  });
});

describe("secrets print", () => {
  it("prints KEY=value lines", () => {
    const lookup: SecretsLookup = { get: () => "", has: () => true, all: () => ({ A: "1", B: "two words" }), files: [] };
    expect(print(lookup)).toBe("A=1\nB=two words");
  });
});

describe("inline `kamal secrets …` commands", () => {
  it.each([
    ["kamal secrets fetch -a test x", true],
    ["  berth   secrets extract A B", true],
    ["bin/kamal secrets fetch", true],
    ["./bin/kamal secrets fetch -a test --account a x", true],
    ["kamal secrets", false],
    ["kamalsecrets fetch x", false],
    ["echo kamal secrets fetch", false],
    ["op read op://x", false],
  ])("%j is inline: %s", (command, expected) => {
    expect(isInlineSecretsCommand(command)).toBe(expected);
  });

  it("accepts Thor's option forms anywhere on the line", () => {
    const expected = String.raw`\{\"v/A\":\"A/v\"\}`;
    expect(runInlineSecretsCommand("kamal secrets fetch --adapter test --account acct --from v A", {})).toBe(expected);
    expect(runInlineSecretsCommand("kamal secrets fetch A -a=test --account=acct --from=v --inline", {})).toBe(expected);
    expect(runInlineSecretsCommand("kamal secrets fetch -a test --account 'acct' --from \"v\" -- A", {})).toBe(expected);
  });

  it("explains what it cannot run", () => {
    expect(() => runInlineSecretsCommand("kamal secrets print", {})).toThrow(/`secrets print` cannot run inside a secrets file/);
    expect(() => runInlineSecretsCommand("kamal secrets fetch --adapter test --acount a A", {})).toThrow("Unknown option --acount for `secrets fetch`");
    expect(() => runInlineSecretsCommand("kamal secrets fetch A", {})).toThrow(/needs --adapter/);
    expect(() => runInlineSecretsCommand("kamal secrets fetch --from", {})).toThrow(/No value provided for option '--from'/);
    expect(() => runInlineSecretsCommand("kamal secrets extract A", {})).toThrow(/takes NAME and SECRETS/);
  });
});

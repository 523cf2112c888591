import { afterEach, describe, expect, it } from "vitest";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { expectNotInArgv, fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["--version"], stdout: "2024.9.0\n" };
const status = (value: string) => JSON.stringify({ serverUrl: null, lastSync: "2024-09-04T10:11:12.433Z", userEmail: "email@example.com", status: value });

const LOGIN_ITEM = JSON.stringify({ object: "item", type: 1, name: "mypassword", login: { username: null, password: "secret123" } });
const FIELDS_ITEM = JSON.stringify({
  object: "item",
  type: 1,
  name: "myitem",
  fields: [
    { name: "field1", value: "secret1", type: 1 },
    { name: "field2", value: "blam", type: 1 },
  ],
  login: { username: null, password: null },
});
const NOTE_ITEM = JSON.stringify({ object: "item", type: 2, name: "mynote", notes: "NOTES", secureNote: { type: 0 } });

let fake: FakeCli;
afterEach(() => fake.cleanup());

function unlocked(...rules: FakeRule[]): FakeCli {
  return fakeCli({ bw: [VERSION, { args: ["status"], stdout: status("unlocked") }, { args: ["sync"], stdout: "Syncing complete.\n" }, ...rules] });
}

describe("Bitwarden adapter (bw)", () => {
  it("returns an item's login password, keyed by the item", () => {
    fake = unlocked({ args: ["get", "item", "mypassword"], stdout: LOGIN_ITEM });
    expect(plain(fetchWith(fake, ["mypassword"], { adapter: "bitwarden", account: "email@example.com" }))).toEqual({ mypassword: "secret123" });
    expect(fake.calls().map((call) => call.args.join(" "))).toEqual(["--version", "status", "sync", "get item mypassword"]);
  });

  it("returns custom fields as item/field, with --from naming the item", () => {
    fake = unlocked({ args: ["get", "item", "myitem"], stdout: FIELDS_ITEM });
    const values = fetchWith(fake, ["field1", "field2"], { adapter: "bitwarden", account: "email@example.com", from: "myitem" });
    expect(plain(values)).toEqual({ "myitem/field1": "secret1", "myitem/field2": "blam" });
  });

  it("returns all custom fields of an item without a password", () => {
    fake = unlocked({ args: ["get", "item", "myitem"], stdout: FIELDS_ITEM });
    expect(plain(fetchWith(fake, ["myitem"], { adapter: "bitwarden", account: "a@b.c" }))).toEqual({ "myitem/field1": "secret1", "myitem/field2": "blam" });
  });

  it("refuses a secure note with no fields named", () => {
    fake = unlocked({ args: ["get", "item", "mynote"], stdout: NOTE_ITEM });
    expect(() => fetchWith(fake, ["mynote"], { adapter: "bitwarden", account: "a@b.c" })).toThrow("Item mynote is not a login type item and no fields were specified");
  });

  it("names a missing field", () => {
    fake = unlocked({ args: ["get", "item", "myitem"], stdout: FIELDS_ITEM });
    expect(() => fetchWith(fake, ["myitem/nope"], { adapter: "bitwarden", account: "a@b.c" })).toThrow("Could not find field nope in item myitem in Bitwarden");
  });

  it("logs in, unlocks, and hands the session key to later calls as BW_SESSION only", () => {
    const session = "sess-0987654321abcdef";
    fake = fakeCli(
      {
        bw: [
          VERSION,
          { args: ["status"], when: "out", stdout: status("unauthenticated") },
          { args: ["login", "email@example.com"], when: "out", then: "locked", stdout: "You are logged in!\n" },
          { args: ["status"], when: "locked", stdout: status("locked") },
          { args: ["unlock", "--raw"], when: "locked", then: "unlocked", stdout: session },
          { args: ["status"], when: "unlocked", env: { BW_SESSION: session }, stdout: status("unlocked") },
          { args: ["sync"], when: "unlocked", env: { BW_SESSION: session }, stdout: "Syncing complete.\n" },
          { args: ["get", "item", "mypassword"], when: "unlocked", env: { BW_SESSION: session }, stdout: LOGIN_ITEM },
        ],
      },
      { initialState: "out" },
    );
    const values = fetchWith(fake, ["mypassword"], { adapter: "bitwarden", account: "email@example.com" });
    expect(plain(values)).toEqual({ mypassword: "secret123" });
    expect(fake.calls().map((call) => call.args.join(" "))).toEqual(["--version", "status", "login email@example.com", "status", "unlock --raw", "status", "sync", "get item mypassword"]);
    expectNotInArgv(fake, [session, "secret123"]);
  });

  it("fails when the vault stays locked", () => {
    fake = fakeCli({ bw: [VERSION, { args: ["status"], stdout: status("locked") }, { args: ["unlock", "--raw"], exit: 1 }] });
    expect(() => fetchWith(fake, ["x"], { adapter: "bitwarden", account: "a@b.c" })).toThrow(/Failed to login to and unlock Bitwarden/);
  });

  it("fails when an item cannot be read", () => {
    fake = unlocked({ args: ["get", "item", "gone"], exit: 1, stdout: "Not found." });
    expect(() => fetchWith(fake, ["gone"], { adapter: "bitwarden", account: "a@b.c" })).toThrow("Could not read gone from Bitwarden");
  });

  it("says the CLI is not installed", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["x"], { adapter: "bitwarden", account: "a@b.c" })).toThrow(/^Bitwarden CLI is not installed/);
  });
});

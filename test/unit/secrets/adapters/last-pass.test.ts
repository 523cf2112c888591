import { afterEach, describe, expect, it } from "vitest";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { expectNotInArgv, fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["--version"], stdout: "LastPass CLI v1.6.0\n" };
const entry = (fullname: string, password: string) => ({ id: "1", name: fullname.split("/").at(-1), fullname, username: "", password, group: "" });

let fake: FakeCli;
afterEach(() => fake.cleanup());

describe("LastPass adapter (lpass)", () => {
  it("shows all entries in one call, keyed by full name", () => {
    fake = fakeCli({
      lpass: [
        VERSION,
        { args: ["status", "--color", "never"], stdout: "Logged in as email@example.com.\n" },
        {
          args: ["show", "SECRET1", "FOLDER1/FSECRET1", "--json"],
          stdout: JSON.stringify([entry("SECRET1", "secret1"), entry("FOLDER1/FSECRET1", "fsecret1")]),
        },
      ],
    });
    const values = fetchWith(fake, ["SECRET1", "FOLDER1/FSECRET1"], { adapter: "lastpass", account: "email@example.com" });
    expect(plain(values)).toEqual({ SECRET1: "secret1", "FOLDER1/FSECRET1": "fsecret1" });
    expectNotInArgv(fake, Object.values(values));
  });

  it("prefixes names with --from", () => {
    fake = fakeCli({
      lpass: [
        VERSION,
        { args: ["status", "--color", "never"], stdout: "Logged in as email@example.com.\n" },
        { args: ["show", "FOLDER1/FSECRET1", "--json"], stdout: JSON.stringify([entry("FOLDER1/FSECRET1", "fsecret1")]) },
      ],
    });
    expect(plain(fetchWith(fake, ["FSECRET1"], { adapter: "last_pass", account: "email@example.com", from: "FOLDER1" }))).toEqual({ "FOLDER1/FSECRET1": "fsecret1" });
  });

  it("logs in when the status names nobody (or someone else)", () => {
    fake = fakeCli(
      {
        lpass: [
          VERSION,
          { args: ["status", "--color", "never"], when: "out", stdout: "Not logged in.\n", exit: 1 },
          { args: ["login", "email@example.com"], when: "out", then: "in" },
          { args: ["show", "SECRET1", "--json"], when: "in", stdout: JSON.stringify([entry("SECRET1", "secret1")]) },
        ],
      },
      { initialState: "out" },
    );
    expect(plain(fetchWith(fake, ["SECRET1"], { adapter: "lastpass", account: "email@example.com" }))).toEqual({ SECRET1: "secret1" });
  });

  it("names entries LastPass did not return", () => {
    fake = fakeCli({
      lpass: [
        VERSION,
        { args: ["status", "--color", "never"], stdout: "Logged in as a@b.c.\n" },
        { args: ["show", "SECRET1", "MISSING", "--json"], stdout: JSON.stringify([entry("SECRET1", "secret1")]) },
      ],
    });
    expect(() => fetchWith(fake, ["SECRET1", "MISSING"], { adapter: "lastpass", account: "a@b.c" })).toThrow("Could not find MISSING in LastPass");
  });

  it("reports a failed login", () => {
    fake = fakeCli({ lpass: [VERSION, { args: ["status", "--color", "never"], stdout: "Not logged in.\n" }, { args: ["login", "a@b.c"], exit: 1 }] });
    expect(() => fetchWith(fake, ["S"], { adapter: "lastpass", account: "a@b.c" })).toThrow(/^Failed to login to LastPass/);
  });

  it("says the CLI is not installed", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["S"], { adapter: "lastpass", account: "a@b.c" })).toThrow(/^LastPass CLI is not installed/);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { expectNotInArgv, fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["version"], stdout: "enpass-cli v1.6.0\n" };
const item = (title: string, label: string, password: string) => ({ category: "computer", label, login: "", password, title, type: "password" });
const FOOBAR = JSON.stringify([
  item("FooBar", "SECRET_1", "my-password-1"),
  item("FooBar", "SECRET_2", "my-password-2"),
  item("Hello", "SECRET_3", "my-password-1"),
  item("FooBar", "", "my-password-3"),
]);

let fake: FakeCli;
afterEach(() => fake.cleanup());

describe("Enpass adapter (enpass-cli)", () => {
  it("shows each title once and keeps only the named passwords", () => {
    fake = fakeCli({ "enpass-cli": [VERSION, { args: ["-json", "-vault", "vault-path", "show", "FooBar"], stdout: FOOBAR }] });
    const values = fetchWith(fake, ["FooBar/SECRET_1", "FooBar/SECRET_2"], { adapter: "enpass", from: "vault-path" });
    expect(plain(values)).toEqual({ "FooBar/SECRET_1": "my-password-1", "FooBar/SECRET_2": "my-password-2" });
    expectNotInArgv(fake, Object.values(values));
  });

  it("returns every password of an item named by title", () => {
    fake = fakeCli({ "enpass-cli": [VERSION, { args: ["-json", "-vault", "vault-path", "show", "FooBar"], stdout: FOOBAR }] });
    expect(plain(fetchWith(fake, ["FooBar"], { adapter: "enpass", from: "vault-path" }))).toEqual({
      "FooBar/SECRET_1": "my-password-1",
      "FooBar/SECRET_2": "my-password-2",
      FooBar: "my-password-3",
    });
  });

  it("refuses a key that appears twice", () => {
    fake = fakeCli({ "enpass-cli": [VERSION, { args: ["-json", "-vault", "v", "show", "A"], stdout: JSON.stringify([item("A", "X", "1"), item("A", "X", "2")]) }] });
    expect(() => fetchWith(fake, ["A"], { adapter: "enpass", from: "v" })).toThrow("A/X is present more than once");
  });

  it("needs the vault path in --from", () => {
    fake = fakeCli({ "enpass-cli": [VERSION] });
    expect(() => fetchWith(fake, ["A"], { adapter: "enpass" })).toThrow(/--from must name the vault path/);
  });

  it("says the CLI is not installed", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["A"], { adapter: "enpass", from: "v" })).toThrow(/^Enpass CLI is not installed/);
  });
});

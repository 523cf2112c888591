import { afterEach, describe, expect, it } from "vitest";
import { BerthError } from "../../../../src/util/errors.js";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { expectNotInArgv, fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["--version"], stdout: "2.30.0\n" };
const SIGNED_IN: FakeRule = { args: ["account", "get", "--account", "myaccount"], stdout: "ID: X\n" };

function field(vault: string, item: string, path: string, value: string) {
  const label = path.split("/").at(-1);
  return { id: "aaaa", type: "CONCEALED", label, value, reference: `op://${vault}/${item}/${path}` };
}

const THREE_FIELDS = JSON.stringify([
  field("myvault", "myitem", "section/SECRET1", "VALUE1"),
  field("myvault", "myitem", "section/SECRET2", "VALUE2"),
  field("myvault", "myitem", "section2/SECRET3", "VALUE3"),
]);

let fake: FakeCli;
afterEach(() => fake.cleanup());

describe("1Password adapter (op)", () => {
  it("fetches several fields of one item with a single `op item get`", () => {
    fake = fakeCli({
      op: [
        VERSION,
        SIGNED_IN,
        {
          args: ["item", "get", "myitem", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--fields", "label=section.SECRET1,label=section.SECRET2,label=section2.SECRET3"],
          stdout: THREE_FIELDS,
        },
      ],
    });
    const values = fetchWith(fake, ["section/SECRET1", "section/SECRET2", "section2/SECRET3"], { adapter: "1password", account: "myaccount", from: "op://myvault/myitem" });
    expect(plain(values)).toEqual({
      "myvault/myitem/section/SECRET1": "VALUE1",
      "myvault/myitem/section/SECRET2": "VALUE2",
      "myvault/myitem/section2/SECRET3": "VALUE3",
    });
    expect(fake.calls().map((call) => call.args[0])).toEqual(["--version", "account", "item"]);
    expectNotInArgv(fake, Object.values(values));
  });

  it("fetches from several items; a single field comes back as one object", () => {
    fake = fakeCli({
      op: [
        VERSION,
        SIGNED_IN,
        {
          args: ["item", "get", "myitem", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--fields", "label=section.SECRET1"],
          stdout: JSON.stringify(field("myvault", "myitem", "section/SECRET1", "VALUE1")),
        },
        {
          args: ["item", "get", "myitem2", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--fields", "label=password"],
          stdout: JSON.stringify(field("myvault", "myitem2", "password", "pw2")),
        },
      ],
    });
    const values = fetchWith(fake, ["myitem/section/SECRET1", "myitem2"], { adapter: "one_password", account: "myaccount", from: "myvault" });
    // The default `password` field is keyed without its `/password` suffix, as Kamal does.
    expect(plain(values)).toEqual({ "myvault/myitem/section/SECRET1": "VALUE1", "myvault/myitem2": "pw2" });
  });

  it("signs in when logged out and passes the session as environment, never in argv", () => {
    const token = "tok-9f8e7d6c5b4a";
    fake = fakeCli(
      {
        op: [
          VERSION,
          { args: ["account", "get", "--account", "myaccount"], when: "out", exit: 1 },
          {
            args: ["signin", "--account", "myaccount", "--force"],
            when: "out",
            then: "in",
            stdout: `export OP_SESSION_myaccount="${token}"\n# This command is meant to be used with your shell's eval function.\n`,
          },
          {
            args: ["item", "get", "myitem", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--fields", "label=section.SECRET1"],
            when: "in",
            env: { OP_SESSION_myaccount: token },
            stdout: JSON.stringify(field("myvault", "myitem", "section/SECRET1", "VALUE1")),
          },
        ],
      },
      { initialState: "out" },
    );
    const values = fetchWith(fake, ["myvault/myitem/section/SECRET1"], { adapter: "1Password", account: "myaccount" });
    expect(plain(values)).toEqual({ "myvault/myitem/section/SECRET1": "VALUE1" });
    const itemGet = fake.calls().find((call) => call.args[0] === "item");
    expect(itemGet?.env).toEqual({ OP_SESSION_myaccount: token });
    expectNotInArgv(fake, [token, "VALUE1"]);
  });

  it("reports a failed sign-in", () => {
    fake = fakeCli({ op: [VERSION, { args: ["account", "get", "--account", "myaccount"], exit: 1 }, { args: ["signin", "--account", "myaccount", "--force"], exit: 1 }] });
    expect(() => fetchWith(fake, ["v/i"], { adapter: "1password", account: "myaccount" })).toThrow(/Failed to login to 1Password/);
  });

  it("fetches every field of --from vault/item when no secret is named", () => {
    fake = fakeCli({
      op: [
        VERSION,
        SIGNED_IN,
        {
          args: ["item", "get", "myitem", "--vault", "myvault", "--format", "json", "--account", "myaccount"],
          stdout: JSON.stringify({ id: "x", fields: [field("myvault", "myitem", "password", "pw"), field("myvault", "myitem", "api/TOKEN", "t0k")] }),
        },
      ],
    });
    const values = fetchWith(fake, [], { adapter: "1password", account: "myaccount", from: "op://myvault/myitem" });
    expect(plain(values)).toEqual({ "myvault/myitem": "pw", "myvault/myitem/api/TOKEN": "t0k" });
  });

  it("names the fields, item and vault when an item cannot be read, without the CLI's output", () => {
    fake = fakeCli({
      op: [
        VERSION,
        SIGNED_IN,
        { args: ["item", "get", "nope", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--fields", "label=password"], exit: 1, stdout: "partial-secret-output" },
      ],
    });
    const error = catchError(() => fetchWith(fake, ["myvault/nope"], { adapter: "1password", account: "myaccount" }));
    expect(error).toBeInstanceOf(BerthError);
    expect(error.message).toBe("Could not read password from nope in the myvault 1Password vault");
  });

  it("says the CLI is not installed when `op` is not on PATH", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["v/i/f"], { adapter: "1password", account: "myaccount" })).toThrow("1Password CLI is not installed (`op` was not found on PATH)");
  });

  it("requires --account before running anything", () => {
    fake = fakeCli({ op: [VERSION] });
    expect(() => fetchWith(fake, ["v/i/f"], { adapter: "1password" })).toThrow(/No value provided for required options '--account'/);
    expect(fake.calls()).toEqual([]);
  });
});

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

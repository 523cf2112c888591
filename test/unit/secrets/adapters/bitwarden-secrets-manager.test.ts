import { afterEach, describe, expect, it } from "vitest";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["--version"], stdout: "bws 1.0.0\n" };
const AUTHENTICATED: FakeRule = { args: ["run", "echo OK"], stdout: "OK\n" };
const TWO = 'KAMAL_REGISTRY_PASSWORD="some_password"\nMY_OTHER_SECRET="my=weird"secret"\n';
const PROJECT = "82aeb5bd-6958-4a89-8197-eacab758acce";

let fake: FakeCli;
afterEach(() => fake.cleanup());

describe("Bitwarden Secrets Manager adapter (bws)", () => {
  it("lists every secret for `all`, keeping `=` and inner quotes in values", () => {
    fake = fakeCli({ bws: [VERSION, AUTHENTICATED, { args: ["secret", "list", "-o", "env"], stdout: TWO }] });
    expect(plain(fetchWith(fake, ["all"], { adapter: "bitwarden-sm" }))).toEqual({ KAMAL_REGISTRY_PASSWORD: "some_password", MY_OTHER_SECRET: 'my=weird"secret' });
  });

  it("lists one project's secrets for `all --from <project>`", () => {
    fake = fakeCli({ bws: [VERSION, AUTHENTICATED, { args: ["secret", "list", "-o", "env", PROJECT], stdout: TWO }] });
    expect(Object.keys(fetchWith(fake, ["all"], { adapter: "bitwarden_secrets_manager", from: PROJECT }))).toEqual(["KAMAL_REGISTRY_PASSWORD", "MY_OTHER_SECRET"]);
  });

  it("gets secrets one by one by id", () => {
    fake = fakeCli({
      bws: [
        VERSION,
        AUTHENTICATED,
        { args: ["secret", "get", "-o", "env", "id-1"], stdout: 'A="1"\n' },
        { args: ["secret", "get", "-o", "env", "id-2"], stdout: 'B="2"\n' },
      ],
    });
    expect(plain(fetchWith(fake, ["id-1", "id-2"], { adapter: "bitwarden-sm" }))).toEqual({ A: "1", B: "2" });
  });

  it("names an id it cannot read", () => {
    fake = fakeCli({ bws: [VERSION, AUTHENTICATED, { args: ["secret", "get", "-o", "env", "id-1"], exit: 1 }] });
    expect(() => fetchWith(fake, ["id-1"], { adapter: "bitwarden-sm" })).toThrow("Could not read id-1 from Bitwarden Secrets Manager");
  });

  it("asks for something to retrieve", () => {
    fake = fakeCli({ bws: [VERSION, AUTHENTICATED] });
    expect(() => fetchWith(fake, [], { adapter: "bitwarden-sm" })).toThrow("You must specify what to retrieve from Bitwarden Secrets Manager");
  });

  it("explains a missing or invalid access token", () => {
    fake = fakeCli({ bws: [VERSION, { args: ["run", "echo OK"], exit: 1 }] });
    expect(() => fetchWith(fake, ["all"], { adapter: "bitwarden-sm" })).toThrow("Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?");
  });

  it("says the CLI is not installed", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["all"], { adapter: "bitwarden-sm" })).toThrow(/^Bitwarden Secrets Manager CLI is not installed/);
  });
});

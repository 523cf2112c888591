import { afterEach, describe, expect, it } from "vitest";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["--version"], stdout: "v3.69.0\n" };
const ME: FakeRule = { args: ["me", "--json"], stdout: "{}" };
const secretJson = (names: Record<string, string>) =>
  JSON.stringify(Object.fromEntries(Object.entries(names).map(([name, computed]) => [name, { computed, computedVisibility: "unmasked", note: "" }])));

let fake: FakeCli;
afterEach(() => fake.cleanup());

describe("Doppler adapter (doppler)", () => {
  it("takes project and config from --from", () => {
    fake = fakeCli({
      doppler: [VERSION, ME, { args: ["secrets", "get", "SECRET1", "FSECRET1", "--json", "-p", "my-project", "-c", "prd"], stdout: secretJson({ SECRET1: "secret1", FSECRET1: "fsecret1" }) }],
    });
    expect(plain(fetchWith(fake, ["SECRET1", "FSECRET1"], { adapter: "doppler", from: "my-project/prd" }))).toEqual({ SECRET1: "secret1", FSECRET1: "fsecret1" });
  });

  it("takes project and config from the secret path", () => {
    fake = fakeCli({ doppler: [VERSION, ME, { args: ["secrets", "get", "SECRET1", "--json", "-p", "my-project", "-c", "prd"], stdout: secretJson({ SECRET1: "secret1" }) }] });
    expect(plain(fetchWith(fake, ["my-project/prd/SECRET1"], { adapter: "doppler" }))).toEqual({ SECRET1: "secret1" });
  });

  it("leaves project and config to a service token (DOPPLER_TOKEN=dp.st…)", () => {
    fake = fakeCli({ doppler: [VERSION, ME, { args: ["secrets", "get", "SECRET1", "--json"], stdout: secretJson({ SECRET1: "secret1" }) }] }, { env: { DOPPLER_TOKEN: "dp.st.xxxxxxxx" } });
    expect(plain(fetchWith(fake, ["SECRET1"], { adapter: "doppler" }))).toEqual({ SECRET1: "secret1" });
  });

  it("requires project/config without a service token", () => {
    fake = fakeCli({ doppler: [VERSION, ME] });
    expect(() => fetchWith(fake, ["FSECRET1"], { adapter: "doppler" })).toThrow("Missing project or config from '--from=project/config' option");
  });

  it("logs in when `doppler me` fails", () => {
    fake = fakeCli(
      {
        doppler: [
          VERSION,
          { args: ["me", "--json"], when: "out", exit: 1 },
          { args: ["login", "-y"], when: "out", then: "in" },
          { args: ["secrets", "get", "SECRET1", "--json", "-p", "p", "-c", "c"], when: "in", stdout: secretJson({ SECRET1: "s1" }) },
        ],
      },
      { initialState: "out" },
    );
    expect(plain(fetchWith(fake, ["SECRET1"], { adapter: "doppler", from: "p/c" }))).toEqual({ SECRET1: "s1" });
  });

  it("says the CLI is not installed", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["p/c/S"], { adapter: "doppler" })).toThrow(/^Doppler CLI is not installed/);
  });
});

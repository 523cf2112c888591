import { afterEach, describe, expect, it } from "vitest";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { expectNotInArgv, fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["--version"], stdout: "Google Cloud SDK 490.0.0\n" };
const AUTHENTICATED: FakeRule = { args: ["auth", "list", "--format=json"], stdout: JSON.stringify([{ account: "email@example.com", status: "ACTIVE" }]) };
const payload = (text: string) => JSON.stringify({ name: "projects/0/secrets/x/versions/1", payload: { data: Buffer.from(text).toString("base64"), dataCrc32c: "1" } });

let fake: FakeCli;
afterEach(() => fake.cleanup());

describe("GCP Secret Manager adapter (gcloud)", () => {
  it("reads the latest version from the default project, keyed default/name", () => {
    fake = fakeCli({ gcloud: [VERSION, AUTHENTICATED, { args: ["secrets", "versions", "access", "latest", "--secret=mypassword", "--format=json"], stdout: payload("secret123") }] });
    const values = fetchWith(fake, ["mypassword"], { adapter: "gcp", account: "default" });
    expect(plain(values)).toEqual({ "default/mypassword": "secret123" });
    expectNotInArgv(fake, ["secret123"]);
  });

  it("takes project and version from the secret, and the project from --from", () => {
    fake = fakeCli({
      gcloud: [
        VERSION,
        AUTHENTICATED,
        { args: ["secrets", "versions", "access", "123", "--secret=item1", "--project=some-project", "--format=json"], stdout: payload("secret1") },
        { args: ["secrets", "versions", "access", "latest", "--secret=item2", "--project=other", "--format=json"], stdout: payload("secret2") },
      ],
    });
    expect(plain(fetchWith(fake, ["some-project/item1/123"], { adapter: "gcp_secret_manager", account: "default" }))).toEqual({ "some-project/item1": "secret1" });
    expect(plain(fetchWith(fake, ["item2"], { adapter: "gcp_secret_manager", account: "default", from: "other" }))).toEqual({ "other/item2": "secret2" });
  });

  it("passes a user and a service-account delegation chain from --account user|sa1,sa2", () => {
    fake = fakeCli({
      gcloud: [
        VERSION,
        AUTHENTICATED,
        {
          args: ["secrets", "versions", "access", "123", "--secret=item1", "--project=p", "--account=user@example.com", "--impersonate-service-account=sa@example.com,sa2@example.com", "--format=json"],
          stdout: payload("secret1"),
        },
      ],
    });
    const values = fetchWith(fake, ["p/item1/123"], { adapter: "gcp", account: "user@example.com|sa@example.com,sa2@example.com" });
    expect(plain(values)).toEqual({ "p/item1": "secret1" });
  });

  it("fails when no account is logged in after `gcloud auth login`", () => {
    fake = fakeCli({ gcloud: [VERSION, { args: ["auth", "list", "--format=json"], stdout: "[]" }, { args: ["auth", "login"] }] });
    expect(() => fetchWith(fake, ["mypassword"], { adapter: "gcp", account: "default" })).toThrow("could not login to gcloud");
    expect(fake.calls().map((call) => call.args.join(" "))).toEqual(["--version", "auth list --format=json", "auth login", "auth list --format=json"]);
  });

  it("names the secret it cannot read", () => {
    fake = fakeCli({ gcloud: [VERSION, AUTHENTICATED, { args: ["secrets", "versions", "access", "latest", "--secret=nope", "--format=json"], exit: 1 }] });
    expect(() => fetchWith(fake, ["nope"], { adapter: "gcp", account: "default" })).toThrow("Could not read default/nope from Google Secret Manager");
  });

  it("says the CLI is not installed", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["x"], { adapter: "gcp", account: "default" })).toThrow(/^gcloud CLI is not installed/);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { expectNotInArgv, fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["--version"], stdout: "aws-cli/2.17.0\n" };
const BATCH = ["secretsmanager", "batch-get-secret-value", "--secret-id-list"];
const value = (Name: string, SecretString: string) => ({ ARN: `arn:aws:secretsmanager:us-east-1:1:secret:${Name}`, Name, VersionId: "v", SecretString, VersionStages: ["AWSCURRENT"] });

let fake: FakeCli;
afterEach(() => fake.cleanup());

describe("AWS Secrets Manager adapter (aws)", () => {
  it("expands JSON secrets to name/key and passes --profile from --account", () => {
    fake = fakeCli({
      aws: [
        VERSION,
        {
          args: [...BATCH, "secret/KEY1", "secret/KEY2", "secret2/KEY3", "--profile", "default"],
          stdout: JSON.stringify({ SecretValues: [value("secret", '{"KEY1":"VALUE1", "KEY2":"VALUE2"}'), value("secret2", '{"KEY3":"VALUE3"}')], Errors: [] }),
        },
      ],
    });
    const values = fetchWith(fake, ["secret/KEY1", "secret/KEY2", "secret2/KEY3"], { adapter: "aws_secrets_manager", account: "default" });
    expect(plain(values)).toEqual({ "secret/KEY1": "VALUE1", "secret/KEY2": "VALUE2", "secret2/KEY3": "VALUE3" });
    expectNotInArgv(fake, Object.values(values));
  });

  it("keeps a plain-string secret under its name, and needs no account", () => {
    fake = fakeCli({
      aws: [VERSION, { args: [...BATCH, "secret", "secret2/KEY1"], stdout: JSON.stringify({ SecretValues: [value("secret", "a-string-secret"), value("secret2", '{"KEY2":"VALUE2"}')], Errors: [] }) }],
    });
    expect(plain(fetchWith(fake, ["secret", "secret2/KEY1"], { adapter: "aws_secrets_manager" }))).toEqual({ secret: "a-string-secret", "secret2/KEY2": "VALUE2" });
  });

  it("prefixes ids with --from", () => {
    fake = fakeCli({ aws: [VERSION, { args: [...BATCH, "secret/KEY1"], stdout: JSON.stringify({ SecretValues: [value("secret", '{"KEY1":"V1"}')], Errors: [] }) }] });
    expect(plain(fetchWith(fake, ["KEY1"], { adapter: "aws_secrets_manager", from: "secret" }))).toEqual({ "secret/KEY1": "V1" });
  });

  it("reports AWS's errors as Kamal does", () => {
    const error = { ErrorCode: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." };
    fake = fakeCli({
      aws: [VERSION, { args: [...BATCH, "unknown1", "unknown2"], stdout: JSON.stringify({ SecretValues: [], Errors: [{ SecretId: "unknown1", ...error }, { SecretId: "unknown2", ...error }] }) }],
    });
    expect(() => fetchWith(fake, ["unknown1", "unknown2"], { adapter: "aws_secrets_manager" })).toThrow(
      "unknown1: Secrets Manager can't find the specified secret. unknown2: Secrets Manager can't find the specified secret.",
    );
  });

  it("fails without echoing the CLI's output", () => {
    fake = fakeCli({ aws: [VERSION, { args: [...BATCH, "s"], exit: 255, stdout: "leaky-output" }] });
    expect(() => fetchWith(fake, ["s"], { adapter: "aws_secrets_manager" })).toThrow("Could not read s from AWS Secrets Manager");
  });

  it("says the CLI is not installed", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["s"], { adapter: "aws_secrets_manager" })).toThrow(/^AWS CLI is not installed/);
  });
});

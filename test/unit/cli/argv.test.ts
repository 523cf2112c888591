import { describe, expect, it } from "vitest";
import { expandHashOptions, findCommandWord, normalizeUnderscoreOptions, scanConfigSelection } from "../../../src/cli/argv.js";

describe("normalizeUnderscoreOptions", () => {
  const known = new Set(["--skip-push", "--config-file", "--lock-wait-timeout"]);

  it("accepts Thor's underscore spelling of known long options", () => {
    expect(normalizeUnderscoreOptions(["deploy", "--skip_push", "--config_file=x.yml", "--lock_wait_timeout", "5"], known)).toEqual([
      "deploy",
      "--skip-push",
      "--config-file=x.yml",
      "--lock-wait-timeout",
      "5",
    ]);
  });

  it("leaves unknown options and everything after -- alone", () => {
    expect(normalizeUnderscoreOptions(["app", "exec", "--some_flag", "--", "--skip_push"], known)).toEqual([
      "app",
      "exec",
      "--some_flag",
      "--",
      "--skip_push",
    ]);
  });
});

describe("expandHashOptions", () => {
  const flags = new Set(["-e", "--env"]);

  it("repeats the flag for every KEY:VALUE word that follows it, as Thor's hash type reads them", () => {
    expect(expandHashOptions(["app", "exec", "-e", "A:1", "B:2", "env"], flags)).toEqual(["app", "exec", "-e", "A:1", "-e", "B:2", "env"]);
  });

  it("stops at an option, a word without a colon, or --", () => {
    expect(expandHashOptions(["-e", "A:1", "-i", "B:2"], flags)).toEqual(["-e", "A:1", "-i", "B:2"]);
    expect(expandHashOptions(["--env", "A:1", "--", "B:2"], flags)).toEqual(["--env", "A:1", "--", "B:2"]);
  });
});

describe("findCommandWord", () => {
  it("skips global options and their values", () => {
    expect(findCommandWord(["-c", "x.yml", "-d", "staging", "-v", "console"]).commandIndex).toBe(5);
    expect(findCommandWord(["--output", "json", "deploy"]).commandIndex).toBe(2);
    expect(findCommandWord(["-v"]).commandIndex).toBe(-1);
  });
});

describe("scanConfigSelection", () => {
  it("finds -c/-d anywhere, in every spelling, the last one winning", () => {
    expect(scanConfigSelection(["console", "-c", "a.yml", "--destination=staging"])).toEqual({ configFile: "a.yml", destination: "staging" });
    expect(scanConfigSelection(["-cb.yml", "-dprod", "x", "--config-file", "c.yml"])).toEqual({ configFile: "c.yml", destination: "prod" });
    expect(scanConfigSelection(["x", "--", "-c", "ignored.yml"])).toEqual({});
  });
});

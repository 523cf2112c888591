import { describe, expect, it } from "vitest";
import { Redacted } from "../../../src/core/cmd.js";
import { createCommandRunner, describeFailure } from "../../../src/secrets/runner.js";

const run = createCommandRunner({ cwd: "/", env: { PATH: "/usr/bin:/bin", BASE: "base" } });

describe("command runner", () => {
  it("captures stdout and the exit status", () => {
    const result = run({ argv: ["/bin/sh", "-c", "printf out; exit 7"], stdin: "ignore" });
    expect(result).toMatchObject({ status: 7, stdout: "out", missing: false });
    expect(describeFailure(result)).toBe("exit status 7");
  });

  it("adds request env over the runner's env", () => {
    const result = run({ argv: ["/bin/sh", "-c", 'printf "%s/%s" "$BASE" "$EXTRA"'], env: { EXTRA: "extra" }, stdin: "ignore" });
    expect(result.stdout).toBe("base/extra");
  });

  it("feeds a Redacted value on stdin", () => {
    expect(run({ argv: ["cat"], stdin: new Redacted("typed-password") }).stdout).toBe("typed-password");
  });

  it("reports a program that is not on PATH", () => {
    const result = run({ argv: ["definitely-not-a-berth-cli"], stdin: "ignore" });
    expect(result.missing).toBe(true);
    expect(describeFailure(result)).toBe("command not found");
  });
});

// `berth secrets fetch|extract|print` against real Kamal's, with Kamal's `test` adapter (it
// answers each name reversed, no vault needed): plain JSON on the command line, shell-escaped
// JSON inside a secrets file, and what a secrets file that fetches and extracts resolves to.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/main.js";
import { MemoryStream } from "../../unit/output/streams.js";
import { baseEnv, kamal, type RunResult } from "../../support/kamal/kamal.js";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-kamal-secrets-"));
  mkdirSync(join(dir, "config"));
  mkdirSync(join(dir, ".kamal"));
  writeFileSync(join(dir, "config/deploy.yml"), "service: app\nimage: dhh/app\nservers:\n  - 1.1.1.1\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n");
  writeFileSync(
    join(dir, ".kamal/secrets"),
    [
      'SECRETS=$(kamal secrets fetch --adapter test --account acct "DB PASSWORD" "x$y" API_KEY)',
      'DB_PASSWORD=$(kamal secrets extract "DB PASSWORD" $SECRETS)',
      "API_KEY=$(kamal secrets extract API_KEY ${SECRETS})",
      "",
    ].join("\n"),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function berth(args: readonly string[]): Promise<RunResult> {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const status = await runCli(args, { stdout: stdout as never, stderr, env: baseEnv(), cwd: dir });
  return { status, stdout: stdout.text, stderr: stderr.text };
}

describe("secrets commands print what Kamal's print", () => {
  it("fetch prints plain JSON, which extract reads back", async () => {
    const args = ["secrets", "fetch", "-a", "test", "--account", "acct", "A B", "x$y"];
    const expected = kamal(args, { cwd: dir, env: baseEnv() });
    const actual = await berth(args);
    expect(expected.stdout).toBe('{"A B":"B A","x$y":"y$x"}\n');
    expect(actual).toMatchObject({ status: 0, stdout: expected.stdout });
    expect(await berth(["secrets", "extract", "x$y", actual.stdout.trim()])).toMatchObject({ status: 0, stdout: "y$x\n" });
  });

  it("a secrets file that fetches and extracts resolves to the same values", async () => {
    const expected = kamal(["secrets", "print"], { cwd: dir, env: baseEnv() });
    expect(expected.stdout).toContain("DB_PASSWORD=DROWSSAP BD\n");
    expect(await berth(["secrets", "print"])).toMatchObject({ status: 0, stdout: expected.stdout });
  });
});

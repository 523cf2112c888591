// The CLI with the real configuration and secrets layers, on a project in a temp directory.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/main.js";
import { MemoryStream } from "../output/streams.js";

let project: string;

const DEPLOY_YML = `service: app
image: dhh/app
servers:
  - 1.1.1.1
registry:
  username: dhh
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
aliases:
  show: config --version 999
`;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "berth-cli-config-"));
  mkdirSync(join(project, "config"));
  mkdirSync(join(project, ".kamal"));
  writeFileSync(join(project, "config/deploy.yml"), DEPLOY_YML);
  writeFileSync(join(project, "config/deploy.staging.yml"), "servers:\n  - 2.2.2.2\n");
  writeFileSync(join(project, ".kamal/secrets"), "KAMAL_REGISTRY_PASSWORD=hunter2-registry-pw\n");
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

async function berth(...argv: string[]) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await runCli(argv, { stdout: stdout as never, stderr, env: {}, cwd: project });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe("with the real configuration layer", () => {
  it("prints `berth config` as Kamal's YAML", async () => {
    const result = await berth("config", "--version", "999");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^---\n:roles:\n- web\n:hosts:\n- 1\.1\.1\.1\n/);
    expect(result.stdout).toContain(":service_with_version: app-999\n");
  });

  it("merges the destination file with -d", async () => {
    const result = await berth("config", "-d", "staging", "--version", "999", "--output", "json");
    expect(JSON.parse(result.stdout)).toMatchObject({ hosts: ["2.2.2.2"], service_with_version: "app-999" });
  });

  it("runs an alias defined in config/deploy.yml", async () => {
    const result = await berth("show", "--output", "json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: "999" });
  });

  it("prints the secrets on purpose with `secrets print`", async () => {
    expect(await berth("secrets", "print")).toMatchObject({ code: 0, stdout: "KAMAL_REGISTRY_PASSWORD=hunter2-registry-pw\n" });
  });

  it("reports a missing config file as Kamal's configuration error, without a stack", async () => {
    const result = await berth("config", "-c", "config/missing.yml");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ {2}ERROR \(Kamal::ConfigurationError\): .*not found in config\/missing\.yml: run `berth init` to create one, or name another with -c\n$/);
  });
});

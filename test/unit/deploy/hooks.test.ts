import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runHook } from "../../../src/deploy/hooks.js";
import { BASE_CONFIG, harness } from "./fake.js";

function project(hooks: Record<string, string>): string {
  const dir = join(process.env.TMPDIR ?? "/tmp", `berth-hooks-${Math.random().toString(16).slice(2)}`);
  mkdirSync(join(dir, ".kamal/hooks"), { recursive: true });
  for (const [name, body] of Object.entries(hooks)) {
    writeFileSync(join(dir, ".kamal/hooks", name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, ".kamal/hooks", name), 0o755);
  }
  return dir;
}

describe("runHook", () => {
  it("runs the hook locally with Kamal's environment; secrets only when asked", async () => {
    const cwd = project({ "pre-deploy": 'env | grep -E "^(KAMAL_|DB_PASSWORD)" | sort > "$PWD/env.out"' });
    const { run } = await harness(BASE_CONFIG, { cwd, realLocal: true, secrets: { DB_PASSWORD: "hunter2" }, globals: { roles: ["web"] } });
    run.holdingLock = true;
    await runHook(run, "pre-deploy", { secrets: true });
    const env = readFileSync(join(cwd, "env.out"), "utf8");
    expect(env).toContain("KAMAL_COMMAND=deploy\n");
    expect(env).toContain("KAMAL_HOSTS=10.0.0.1,10.0.0.2\n");
    expect(env).toContain("KAMAL_ROLES=web\n");
    expect(env).toContain("KAMAL_LOCK=true\n");
    expect(env).toContain("KAMAL_PERFORMER=deployer@example.com\n");
    expect(env).toContain("KAMAL_RECORDED_AT=2026-01-02T03:04:05Z\n");
    expect(env).toContain("KAMAL_VERSION=999\n");
    expect(env).toContain("KAMAL_SERVICE_VERSION=app@999\n");
    expect(env).toContain("DB_PASSWORD=hunter2\n");

    await runHook(run, "pre-deploy", { secrets: false, hosts: ["10.0.0.2"], runtime: 7 });
    const second = readFileSync(join(cwd, "env.out"), "utf8");
    expect(second).not.toContain("DB_PASSWORD");
    expect(second).toContain("KAMAL_HOSTS=10.0.0.2\n");
    expect(second).toContain("KAMAL_RUNTIME=7\n");
  });

  it("a failing hook raises `Hook \\`x\\` failed:` with its output; a missing hook or -H runs nothing", async () => {
    const cwd = project({ "pre-build": 'echo "tests are red"; exit 3' });
    const { run } = await harness(BASE_CONFIG, { cwd, realLocal: true });
    const error = await runHook(run, "pre-build").catch((caught: Error & { kind?: string }) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Hook `pre-build` failed:\n/);
    expect((error as Error).message).toContain("tests are red");
    expect((error as { kind: string }).kind).toBe("Kamal::Cli::HookError");
    await expect(runHook(run, "post-deploy")).resolves.toBeUndefined();

    const skipped = await harness(BASE_CONFIG, { cwd, realLocal: true, globals: { skipHooks: true } });
    await expect(runHook(skipped.run, "pre-build")).resolves.toBeUndefined();
  });

  it("shows the hook's output with hooks_output: verbose, and hides its lines with quiet", async () => {
    const cwd = project({ "post-deploy": "echo deployed-and-told-the-team" });
    const verbose = await harness(`${BASE_CONFIG}hooks_output: verbose\n`, { cwd, realLocal: true });
    await runHook(verbose.run, "post-deploy");
    expect(verbose.stdout.text).toContain("Running the post-deploy hook...");
    expect(verbose.stdout.text).toContain("deployed-and-told-the-team");

    const quiet = await harness(`${BASE_CONFIG}hooks_output:\n  post-deploy: quiet\n`, { cwd, realLocal: true });
    await runHook(quiet.run, "post-deploy");
    expect(quiet.stdout.text).not.toContain("deployed-and-told-the-team");
    expect(quiet.stdout.text).not.toContain(".kamal/hooks/post-deploy");
  });

  it("runs pre-connect once, before the first remote command", async () => {
    const cwd = project({ "pre-connect": 'echo x >> "$PWD/pre-connect.count"' });
    const { run, servers } = await harness(BASE_CONFIG, { cwd, realLocal: true });
    await run.exec("10.0.0.1", { parts: ["true"] });
    await run.exec("10.0.0.2", { parts: ["true"] });
    expect(readFileSync(join(cwd, "pre-connect.count"), "utf8")).toBe("x\n");
    expect(servers.recorded).toHaveLength(2);
  });
});

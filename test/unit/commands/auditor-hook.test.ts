// Golden tests for audit lines (Kamal's auditor_test.rb), hook commands and environments
// (hook_test.rb) and the tags both are built from.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Redacted } from "../../../src/core/cmd.js";
import * as auditor from "../../../src/commands/auditor.js";
import * as hook from "../../../src/commands/hook.js";
import { Tags, iso8601 } from "../../../src/commands/tags.js";
import { BerthError } from "../../../src/util/errors.js";
import { KAMAL_BASE, configFrom, text } from "./helpers.js";

const context = { recordedAt: "2026-01-02T03:04:05Z", performer: "deployer@example.com" };

describe("auditor", () => {
  it("records a line", () => {
    const config = configFrom(KAMAL_BASE, { version: "123" });
    expect(text(auditor.record(config, context, "app removed container"))).toBe(
      'mkdir -p .kamal && echo "[2026-01-02T03:04:05Z] [deployer@example.com] app removed container" >> .kamal/app-audit.log',
    );
  });

  it("records with a destination", () => {
    const config = configFrom(KAMAL_BASE, { version: "123", destination: "staging" });
    expect(text(auditor.record(config, context, "app removed container"))).toBe(
      'mkdir -p .kamal && echo "[2026-01-02T03:04:05Z] [deployer@example.com] [staging] app removed container" >> .kamal/app-staging-audit.log',
    );
  });

  it("records with details (role, then others in order)", () => {
    const config = configFrom(KAMAL_BASE, { version: "123", destination: "staging" });
    expect(text(auditor.record(config, context, "Booted app version 123", { role: "web", detail: "value" }))).toBe(
      'mkdir -p .kamal && echo "[2026-01-02T03:04:05Z] [deployer@example.com] [staging] [web] [value] Booted app version 123" >> .kamal/app-staging-audit.log',
    );
  });

  it("escapes the line for the shell", () => {
    const config = configFrom(KAMAL_BASE, { version: "123" });
    const command = text(auditor.record(config, context, "Executed cmd 'echo \"$HOME\" `id`' on app"));
    expect(command).toBe('mkdir -p .kamal && echo "[2026-01-02T03:04:05Z] [deployer@example.com] Executed cmd \'echo \\"\\$HOME\\" \\`id\\`\' on app" >> .kamal/app-audit.log');
    const echoed = execFileSync("sh", ["-c", command.replace(/^mkdir -p \.kamal && /, "").replace(/ >> \S+$/, "")], { encoding: "utf8" });
    expect(echoed).toBe("[2026-01-02T03:04:05Z] [deployer@example.com] Executed cmd 'echo \"$HOME\" `id`' on app\n");
  });

  it("refuses a secret", () => {
    const config = configFrom(KAMAL_BASE);
    expect(() => auditor.record(config, context, "x", { token: new Redacted("s") as unknown as string })).toThrow(BerthError);
  });

  it("reveals the last 50 lines", () => {
    expect(text(auditor.reveal(configFrom(KAMAL_BASE)))).toBe("tail -n 50 .kamal/app-audit.log");
    expect(text(auditor.reveal(configFrom(KAMAL_BASE, { destination: "production" })))).toBe("tail -n 50 .kamal/app-production-audit.log");
  });
});

describe("hook", () => {
  it("runs the hook file", () => {
    expect(text(hook.run(configFrom(KAMAL_BASE), "foo"))).toBe(".kamal/hooks/foo");
    expect(text(hook.run(configFrom(`${KAMAL_BASE}hooks_path: custom/hooks/path\n`), "foo"))).toBe("custom/hooks/path/foo");
    expect(text(hook.run(configFrom(`${KAMAL_BASE}hooks_path: my hooks\n`), "pre-deploy"))).toBe("'my hooks/pre-deploy'");
  });

  it("builds Kamal's environment", () => {
    const config = configFrom(KAMAL_BASE, { version: "123" });
    const env = hook.env(config, context, { hosts: ["1.1.1.1", "1.1.1.2"], lock: true, command: "deploy" });
    expect(env).toEqual({
      KAMAL_RECORDED_AT: "2026-01-02T03:04:05Z",
      KAMAL_PERFORMER: "deployer@example.com",
      KAMAL_VERSION: "123",
      KAMAL_SERVICE_VERSION: "app@123",
      KAMAL_SERVICE: "app",
      KAMAL_HOSTS: "1.1.1.1,1.1.1.2",
      KAMAL_LOCK: "true",
      KAMAL_COMMAND: "deploy",
    });
    expect(Object.keys(env)).toEqual([
      "KAMAL_RECORDED_AT",
      "KAMAL_PERFORMER",
      "KAMAL_VERSION",
      "KAMAL_SERVICE_VERSION",
      "KAMAL_SERVICE",
      "KAMAL_HOSTS",
      "KAMAL_LOCK",
      "KAMAL_COMMAND",
    ]);
  });

  it("adds destination, roles, subcommand, runtime and secrets", () => {
    const config = configFrom(KAMAL_BASE, { version: "0123456789abcdef", destination: "staging" });
    const env = hook.env(config, context, {
      hosts: ["1.1.1.1"],
      roles: ["web", "workers"],
      lock: false,
      command: "app",
      subcommand: "boot",
      runtime: 42,
      secrets: { DB_PASSWORD: "secret" },
    });
    expect(env).toEqual({
      KAMAL_RECORDED_AT: "2026-01-02T03:04:05Z",
      KAMAL_PERFORMER: "deployer@example.com",
      KAMAL_DESTINATION: "staging",
      KAMAL_VERSION: "0123456789abcdef",
      KAMAL_SERVICE_VERSION: "app@0123456",
      KAMAL_SERVICE: "app",
      KAMAL_HOSTS: "1.1.1.1",
      KAMAL_ROLES: "web,workers",
      KAMAL_LOCK: "false",
      KAMAL_COMMAND: "app",
      KAMAL_SUBCOMMAND: "boot",
      KAMAL_RUNTIME: "42",
      DB_PASSWORD: "secret",
    });
    expect(hook.HOOKS_WITH_SECRETS).toEqual(["pre-connect", "pre-deploy", "post-deploy"]);
  });
});

describe("tags", () => {
  it("keeps Ruby hash order and drops nil", () => {
    const tags = Tags.of({ b: "2", a: 1, skip: undefined, none: null, empty: "" });
    expect(tags.toString()).toBe("[2] [1] []");
    expect(tags.env()).toEqual({ KAMAL_B: "2", KAMAL_A: "1", KAMAL_EMPTY: "" });
    expect(tags.except("a").toObject()).toEqual({ b: "2", empty: "" });
  });

  it("formats times like Ruby's iso8601", () => {
    expect(iso8601(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))).toBe("2026-01-02T03:04:05Z");
  });
});

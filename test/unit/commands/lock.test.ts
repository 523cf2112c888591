// Golden tests for the deploy lock (Kamal's test/commands/lock_test.rb) and its details format.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import * as lock from "../../../src/commands/lock.js";
import { KAMAL_BASE, configFrom, text } from "./helpers.js";

const config = configFrom(KAMAL_BASE, { version: "123", destination: "production" });
const details: lock.LockDetails = { lockedBy: "David Heinemeier Hansson", lockedAt: "2026-01-02T03:04:05Z", version: "123", message: "Hello" };

describe("lock commands", () => {
  it("reports status", () => {
    expect(text(lock.status(config))).toBe("stat .kamal/lock-app-production > /dev/null && cat .kamal/lock-app-production/details | base64 -d");
  });

  it("acquires with base64 details", () => {
    const encoded = Buffer.from("Locked by: David Heinemeier Hansson at 2026-01-02T03:04:05Z\nVersion: 123\nMessage: Hello").toString("base64");
    expect(text(lock.acquire(config, details))).toBe(
      `mkdir .kamal/lock-app-production && echo "${encoded.slice(0, 60)}\n${encoded.slice(60)}\n" > .kamal/lock-app-production/details`,
    );
  });

  it("releases", () => {
    expect(text(lock.release(config))).toBe("rm .kamal/lock-app-production/details && rm -r .kamal/lock-app-production");
  });

  it("uses the service name alone without a destination", () => {
    const plain = configFrom(KAMAL_BASE);
    expect(text(lock.release(plain))).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    expect(text(lock.ensureRunDirectory(plain))).toBe("mkdir -p .kamal");
  });
});

describe("lock details", () => {
  it("formats Kamal's three lines", () => {
    expect(lock.lockDetailsText(details)).toBe("Locked by: David Heinemeier Hansson at 2026-01-02T03:04:05Z\nVersion: 123\nMessage: Hello");
  });

  it("encodes like Ruby's Base64.encode64 (60-character lines)", () => {
    expect(lock.encode64("")).toBe("");
    expect(lock.encode64("hi")).toBe("aGk=\n");
    const long = lock.encode64("x".repeat(100));
    expect(long.split("\n").map((line) => line.length)).toEqual([60, 60, 16, 0]);
    expect(lock.decodeDetails(long)).toBe("x".repeat(100));
  });

  it("round-trips through the remote shell commands", () => {
    const acquired = text(lock.acquire(config, { ...details, message: "Deploying the \"big\" one — ünïcode" }));
    const script = acquired.replace(/^mkdir \S+ && /, "").replace(/> \S+$/, "| base64 -d");
    const decoded = execFileSync("sh", ["-c", script], { encoding: "utf8" });
    expect(lock.parseLockDetails(decoded)).toEqual({ ...details, message: "Deploying the \"big\" one — ünïcode" });
  });

  it("parses multi-line messages and rejects other text", () => {
    expect(lock.parseLockDetails("Locked by: A at 2026-01-02T03:04:05Z\nVersion: v1\nMessage: line one\nline two\n")).toEqual({
      lockedBy: "A",
      lockedAt: "2026-01-02T03:04:05Z",
      version: "v1",
      message: "line one\nline two",
    });
    expect(lock.parseLockDetails("stat: cannot statx '.kamal/lock-app': No such file or directory")).toBeNull();
  });

  it("recognises a held lock", () => {
    expect(lock.isLockHeldError("mkdir: cannot create directory '.kamal/lock-app': File exists")).toBe(true);
    expect(lock.isLockHeldError("Permission denied")).toBe(false);
    expect(lock.AUTOMATIC_LOCK_MESSAGE).toBe("Automatic deploy lock");
  });
});

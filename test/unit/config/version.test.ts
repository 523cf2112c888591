// resolveVersion against real git repositories in temporary directories.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveVersion } from "../../../src/config/index.js";
import { BERTH_VERSION, KAMAL_COMPAT_VERSION } from "../../../src/version.js";

const git = (cwd: string, ...args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

describe("resolveVersion", () => {
  let repo: string;
  let plain: string;
  let head: string;

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "berth-version-"));
    plain = mkdtempSync(join(tmpdir(), "berth-nogit-"));
    git(repo, "init", "-q");
    git(repo, "config", "user.email", "t@example.com");
    git(repo, "config", "user.name", "T");
    writeFileSync(join(repo, "a.txt"), "a\n");
    git(repo, "add", "a.txt");
    git(repo, "commit", "-q", "-m", "first");
    head = git(repo, "rev-parse", "HEAD");
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(plain, { recursive: true, force: true });
  });

  it("prefers --version, then $VERSION, then the git revision", () => {
    expect(resolveVersion({ cwd: repo, explicit: "v1", env: { VERSION: "v2" }, usesGitClone: true })).toBe("v1");
    expect(resolveVersion({ cwd: repo, env: { VERSION: "v2" }, usesGitClone: true })).toBe("v2");
    expect(resolveVersion({ cwd: repo, env: {}, usesGitClone: true })).toBe(head);
  });

  it("appends _uncommitted_<16 hex> to a dirty tree only when the build uses the working tree", () => {
    writeFileSync(join(repo, "a.txt"), "changed\n");
    try {
      expect(resolveVersion({ cwd: repo, env: {}, usesGitClone: true })).toBe(head);
      const dirty = resolveVersion({ cwd: repo, env: {}, usesGitClone: false });
      expect(dirty).toMatch(new RegExp(`^${head}_uncommitted_[0-9a-f]{16}$`));
    } finally {
      git(repo, "checkout", "--", "a.txt");
    }
    expect(resolveVersion({ cwd: repo, env: {}, usesGitClone: false })).toBe(head);
  });

  it("is HEAD in a repository with no commit yet, as in Kamal", () => {
    const unborn = mkdtempSync(join(tmpdir(), "berth-unborn-"));
    try {
      git(unborn, "init", "-q");
      expect(resolveVersion({ cwd: unborn, env: {}, usesGitClone: true })).toBe("HEAD");
      writeFileSync(join(unborn, "a.txt"), "a\n");
      expect(resolveVersion({ cwd: unborn, env: {}, usesGitClone: false })).toMatch(/^HEAD_uncommitted_[0-9a-f]{16}$/);
    } finally {
      rmSync(unborn, { recursive: true, force: true });
    }
  });

  it("errors outside a git repository", () => {
    expect(() => resolveVersion({ cwd: plain, env: {}, usesGitClone: true })).toThrow(`Can't use commit hash as version, no git repository found in ${plain}`);
  });
});

describe("version constants", () => {
  it("reads Berth's version from package.json and pins Kamal compatibility", () => {
    expect(BERTH_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(KAMAL_COMPAT_VERSION).toBe("2.12.0");
  });
});

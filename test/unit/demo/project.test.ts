// The demo's copy of examples/hello: a git repository whose commits are the versions deployed.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { commitNextRelease, currentRelease, ensureProject, exampleDirectory, headCommit } from "../../../src/demo/project.js";

const base = mkdtempSync(join(tmpdir(), "berth-demo-project-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("the demo's project", () => {
  const dir = join(base, "hello");

  it("is the example app, committed as release 1, with the bed's SSH config", async () => {
    expect(await ensureProject(dir, "/var/tmp/bed/client/ssh_config")).toEqual({ dir, reused: false });
    expect(currentRelease(dir)).toBe(1);
    expect(execFileSync("git", ["-C", dir, "status", "--porcelain"], { encoding: "utf8" })).toBe("");
    expect(execFileSync("git", ["-C", dir, "ls-files"], { encoding: "utf8" })).toContain("config/deploy.yml");
    expect(readFileSync(join(dir, "config/deploy.yml"), "utf8")).toContain("  config: /var/tmp/bed/client/ssh_config\n");
    expect(readFileSync(join(exampleDirectory(), "config/deploy.yml"), "utf8")).toContain("  config: /tmp/berth-testbed/demo/client/ssh_config\n");
  });

  it("commits one more release per run, and is reused as it is", async () => {
    const first = await headCommit(dir);
    expect(await commitNextRelease(dir)).toBe(2);
    expect(readFileSync(join(dir, "release.txt"), "utf8")).toBe("Hello from Berth: release 2\n");
    expect(await headCommit(dir)).not.toBe(first);
    expect(await ensureProject(dir, "/elsewhere")).toEqual({ dir, reused: true });
    expect(currentRelease(dir)).toBe(2);
  });

  it("is a configuration Berth loads: two web hosts, a worker, and Redis on the first host", () => {
    const config = loadConfig({ cwd: dir, env: {}, version: "abc" });
    expect(config.service).toBe("hello");
    expect(config.role("web")!.hosts).toEqual(["10.210.0.11", "10.210.0.12"]);
    expect(config.role("worker")!.hosts).toEqual(["10.210.0.12"]);
    expect(config.accessory("redis")!.hosts).toEqual(["10.210.0.11"]);
    expect(config.absoluteImage).toBe("10.210.0.1:5555/berth-demo/hello:abc");
  });
});

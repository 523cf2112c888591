import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkDemoRequirements } from "../../../src/demo/requirements.js";

let bin: string | undefined;
afterEach(() => bin && rmSync(bin, { recursive: true, force: true }));

/** A PATH directory holding an executable of each name. */
function pathWith(commands: readonly string[]): string {
  bin = mkdtempSync(join(tmpdir(), "berth-demo-path-"));
  for (const command of commands) {
    writeFileSync(join(bin, command), "#!/bin/sh\n");
    chmodSync(join(bin, command), 0o755);
  }
  return bin;
}

const ALL = ["dockerd", "docker", "docker-registry", "sshd", "ssh", "busybox", "ip", "iptables", "tini", "git", "nsenter", "flock", "redis-check-rdb"];

describe("berth demo's requirements", () => {
  it("needs root, and says why", () => {
    expect(() => checkDemoRequirements({ PATH: pathWith(ALL) }, 1000)).toThrow(/needs root: its test servers are network namespaces/);
  });

  it("names the missing commands and the Debian packages that have them", () => {
    const missing = ["docker-registry", "tini", "redis-check-rdb"];
    const present = ALL.filter((command) => !missing.includes(command));
    expect(() => checkDemoRequirements({ PATH: pathWith(present) }, 0)).toThrow(
      "berth demo needs docker-registry, tini, redis-check-rdb, which this machine lacks; on Debian 12: apt-get install docker-registry tini redis-tools",
    );
  });

  it("passes with everything there, and --down needs only root", () => {
    expect(() => checkDemoRequirements({ PATH: pathWith(ALL) }, 0)).not.toThrow();
    expect(() => checkDemoRequirements({ PATH: "" }, 0, { checkPackages: false })).not.toThrow();
  });
});

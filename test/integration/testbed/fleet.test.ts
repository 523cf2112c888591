// The test bed's light fleet hosts (testbed/fleet.ts), as the fleet benchmark uses them: sshd only,
// the caller's `docker` stand-in on the PATH and over the real client, the caller's directory as
// the host's /run (where it serves the Docker API socket), and a clean stop.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type Fleet } from "../../../testbed/index.js";

const run = promisify(execFile);

describe("test fleet", () => {
  let fleet: Fleet;
  let cliDir: string;
  const servers: Server[] = [];

  beforeAll(async () => {
    cliDir = mkdtempSync(join(tmpdir(), "berth-fleet-test-cli-"));
    writeFileSync(join(cliDir, "docker"), '#!/bin/sh\necho "stand-in on $(hostname): $*"\n');
    chmodSync(join(cliDir, "docker"), 0o755);
    fleet = await startFleet({ hosts: 2, name: "fleet-test", dockerCliDir: cliDir });
    for (const host of fleet.hosts) {
      const server = createServer((request, response) => response.end(`api of ${host.name}: ${request.url}`));
      await new Promise<void>((resolve) => server.listen(join(host.runDir, "docker.sock"), resolve));
      servers.push(server);
    }
  });

  afterAll(async () => {
    for (const server of servers) server.close();
    await fleet?.stop();
    rmSync(cliDir, { recursive: true, force: true });
  });

  it("reaches every host over SSH, with host key checking, and runs the stand-in as docker", async () => {
    for (const host of fleet.hosts) {
      const { stdout } = await run("ssh", ["-F", fleet.sshConfigPath, host.ip, "docker ps -q; /usr/bin/docker version; hostname"], { timeout: 20_000 });
      expect(stdout).toBe(`stand-in on ${host.name}: ps -q\nstand-in on ${host.name}: version\n${host.name}\n`);
    }
  });

  it("serves the host's /var/run/docker.sock from the caller's run directory", async () => {
    const [host] = fleet.hosts;
    const { stdout } = await run("ssh", ["-F", fleet.sshConfigPath, host!.ip, "curl -s --unix-socket /var/run/docker.sock http://docker/_ping"], { timeout: 20_000 });
    expect(stdout).toBe(`api of ${host!.name}: /_ping`);
  });

  it("removes its namespaces and state when stopped", async () => {
    const workDir = fleet.workDir;
    mkdirSync(workDir, { recursive: true });
    await fleet.stop();
    const { stdout } = await run("ip", ["netns", "list"]);
    expect(stdout).not.toMatch(/berth-h\d/);
    expect(existsSync(workDir)).toBe(false);
  });
});

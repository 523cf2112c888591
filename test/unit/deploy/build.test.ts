import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildAndPush } from "../../../src/deploy/build.js";
import { pullOnHosts } from "../../../src/deploy/image-pull.js";
import { BASE_CONFIG, harness, type Reply } from "./fake.js";

const SECRETS = { REGISTRY_PASSWORD: "registry-pw" };

/** Kamal's clone directory suffix: the first 13 hex digits of sha256(pwd). */
const sha13 = (pwd: string): string => createHash("sha256").update(pwd).digest("hex").slice(0, 13);

/** This machine as the fake sees it: Docker without buildx, the project a git repository on commit abc123. */
function machine(root: string, { built = false, builtFrom = "abc123", dirty = "" }: { built?: boolean; builtFrom?: string; dirty?: string } = {}) {
  return (command: string): Reply | undefined => {
    if (command.startsWith("command -v docker")) return { stdout: "classic\n" };
    if (command.startsWith("docker info")) return { stdout: "x86_64\n" };
    if (command.startsWith("docker image inspect")) return built ? { stdout: `sha256:5ca1ab1e app ${builtFrom}\n` } : { code: 0, stdout: "" };
    if (command.startsWith("git rev-parse --show-toplevel HEAD")) return { stdout: `${root}\nabc123\n---\n${dirty}` };
    if (command.includes(" clone ")) {
      // The clone lands where Kamal puts it; give it the project's Dockerfile.
      const directory = /mkdir -p (\S+)/.exec(command)![1]!;
      mkdirSync(join(directory, basename(root)), { recursive: true });
      writeFileSync(join(directory, basename(root), "Dockerfile"), "FROM scratch\n");
      return undefined;
    }
    if (command.includes("status --porcelain && echo --- &&")) return { stdout: "---\nabc123\n" };
    return undefined;
  };
}

describe("build push without buildx", () => {
  it("logs in with the password on stdin, builds in a fresh clone with Kamal's tags and label, pushes both tags", async () => {
    const { run, local, stdout, config } = await harness(BASE_CONFIG, { secrets: SECRETS });
    local.responder = machine(config.cwd, { dirty: " M README.md\n" });
    await buildAndPush(run);
    const commands = local.recorded.map((entry) => entry.command);
    expect(commands).toContain("docker login registry.example:5000 -u \"deployer\" --password-stdin");
    expect(commands.some((command) => command.includes("registry-pw"))).toBe(false);
    const clone = commands.find((command) => command.includes(" clone "))!;
    expect(clone).toBe(`mkdir -p ${join(tmpdir(), "kamal-clones")}/app-${sha13(config.cwd)} && git -C ${join(tmpdir(), "kamal-clones")}/app-${sha13(config.cwd)} clone ${config.cwd} --recurse-submodules`);
    const build = local.recorded.find((entry) => entry.command.startsWith("docker build"))!;
    // The commit goes into a label: a later deploy reuses the image only for that commit.
    expect(build.command).toBe(
      'docker build -t registry.example:5000/team/app:999 -t registry.example:5000/team/app:latest --label service="app" --file Dockerfile --label org.opencontainers.image.revision="abc123" .',
    );
    // Kamal's build directory: the clone's repository plus the project's path inside it ("" here, hence the slash).
    expect(build.cwd).toBe(`${join(tmpdir(), "kamal-clones", `app-${sha13(config.cwd)}`, basename(config.cwd))}/`);
    expect(commands.filter((command) => command.startsWith("docker push")).sort()).toEqual([
      "docker push registry.example:5000/team/app:999",
      "docker push registry.example:5000/team/app:latest",
    ]);
    expect(stdout.text).toContain("Building from a local git clone, so ignoring these uncommitted changes:");
  });

  it("pushes without rebuilding when this machine already built the commit's image", async () => {
    const { run, local, stdout, config } = await harness(BASE_CONFIG, { secrets: SECRETS });
    local.responder = machine(config.cwd, { built: true });
    await buildAndPush(run);
    const commands = local.recorded.map((entry) => entry.command);
    expect(commands.some((command) => command.startsWith("docker build"))).toBe(false);
    expect(commands.some((command) => command.includes(" clone "))).toBe(false);
    expect(commands.filter((command) => command.startsWith("docker push"))).toHaveLength(2);
    expect(stdout.text).toContain("was already built from this commit");
    // --no-cache always builds.
    const fresh = await harness(BASE_CONFIG, { secrets: SECRETS });
    fresh.local.responder = machine(fresh.config.cwd, { built: true });
    await buildAndPush(fresh.run, { noCache: true });
    expect(fresh.local.recorded.some((entry) => entry.command.startsWith("docker build") && entry.command.includes("--no-cache"))).toBe(true);
  });

  it("rebuilds an image of this version's tag that was built from another commit (an explicit VERSION after new commits)", async () => {
    for (const builtFrom of ["0ld0ld", "<no value>"]) {
      const { run, local, stdout, config } = await harness(BASE_CONFIG, { secrets: SECRETS });
      local.responder = machine(config.cwd, { built: true, builtFrom });
      await buildAndPush(run);
      const commands = local.recorded.map((entry) => entry.command);
      expect(commands.filter((command) => command.startsWith("docker build"))).toHaveLength(1);
      expect(stdout.text).not.toContain("was already built from this commit");
    }
  });

  it("builds the working tree with builder.context, warning about uncommitted changes", async () => {
    const { run, local, stdout, config } = await harness(`${BASE_CONFIG.replace("  arch: amd64\n", "  arch: amd64\n  context: .\n")}`, { secrets: SECRETS });
    writeFileSync(join(config.cwd, "Dockerfile"), "FROM scratch\n");
    local.responder = machine(config.cwd, { dirty: "?? notes.txt\n" });
    await buildAndPush(run);
    expect(local.recorded.some((entry) => entry.command.includes(" clone "))).toBe(false);
    expect(local.recorded.find((entry) => entry.command.startsWith("docker build"))!.cwd).toBe(config.cwd);
    expect(stdout.text).toContain("Building with uncommitted changes:\n ?? notes.txt");
  });

  it("says so when Docker is missing here", async () => {
    const { run, local } = await harness(BASE_CONFIG, { secrets: SECRETS });
    local.responder = (command) => (command.startsWith("command -v docker") ? { stdout: "no-docker\n" } : undefined);
    await expect(buildAndPush(run)).rejects.toThrow("Docker is not installed locally");
  });
});

describe("build pull", () => {
  it("pulls on every app host in one round trip: login, audit, pull, label check", async () => {
    const { run, servers } = await harness(BASE_CONFIG, { secrets: SECRETS, command: ["build", "pull"] });
    await pullOnHosts(run);
    for (const host of ["10.0.0.1", "10.0.0.2"]) {
      const entries = servers.recorded.filter((entry) => entry.host === host);
      expect(new Set(entries.map((entry) => entry.roundTrip)).size).toBe(1);
      expect(entries.map((entry) => entry.command.split(" ").slice(0, 3).join(" "))).toEqual([
        "docker login registry.example:5000",
        "mkdir -p .kamal",
        "docker pull registry.example:5000/team/app:999",
        "docker inspect -f",
      ]);
      expect(entries[1]!.command).toContain("Pulled image with version 999");
    }
  });

  it("fails with Kamal's message for an image without the service label", async () => {
    const { run } = await harness(BASE_CONFIG, {
      secrets: SECRETS,
      responder: (_host, command) =>
        command.startsWith("docker inspect -f") ? { code: 1, stdout: "Image registry.example:5000/team/app:999 is missing the 'service' label\n" } : undefined,
    });
    await expect(pullOnHosts(run)).rejects.toThrow("Image registry.example:5000/team/app:999 is missing the 'service' label");
  });
});

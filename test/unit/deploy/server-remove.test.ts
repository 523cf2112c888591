import { describe, expect, it } from "vitest";
import { prune } from "../../../src/deploy/prune.js";
import { removeAll } from "../../../src/deploy/remove.js";
import { bootstrapServers } from "../../../src/deploy/server.js";
import { BASE_CONFIG, harness } from "./fake.js";

describe("server bootstrap", () => {
  it("costs one round trip on hosts that have Docker", async () => {
    const { run, servers } = await harness(BASE_CONFIG, { command: ["server", "bootstrap"] });
    await bootstrapServers(run);
    const onSecond = servers.recorded.filter((entry) => entry.host === "10.0.0.2");
    expect(onSecond.map((entry) => entry.command)).toEqual(["docker -v", "mkdir -p .kamal"]);
    expect(new Set(onSecond.map((entry) => entry.roundTrip)).size).toBe(1);
  });

  it("installs Docker with get.docker.com where `docker -v` fails and the user may", async () => {
    let installed = false;
    const { run, servers } = await harness(BASE_CONFIG, {
      responder: (host, command) => {
        if (command === "docker -v") return installed || host === "10.0.0.2" ? undefined : { code: 127, stderr: "docker: not found" };
        if (command.includes("https://get.docker.com")) installed = true;
        return undefined;
      },
    });
    await bootstrapServers(run);
    const first = servers.commandsOn("10.0.0.1");
    expect(first).toContain(`sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || echo "exit 1"' | sh`);
    expect(servers.commandsOn("10.0.0.2").some((command) => command.includes("get.docker.com"))).toBe(false);
  });

  it("names the hosts where Docker can't be installed", async () => {
    const { run } = await harness(BASE_CONFIG, {
      responder: (host, command) => {
        if (command === "docker -v" && host === "10.0.0.2") return { code: 127 };
        if (command.includes("sudo -nl usermod")) return { code: 1, stderr: "sudo: a password is required" };
        return undefined;
      },
    });
    await expect(bootstrapServers(run)).rejects.toThrow(/Docker is not installed on 10\.0\.0\.2 and can't be automatically installed/);
  });
});

describe("remove", () => {
  it("asks first; removes containers, images and directories, then the proxy and network where no other app is left", async () => {
    const { run, servers } = await harness(BASE_CONFIG, {
      secrets: { REGISTRY_PASSWORD: "pw" },
      command: ["remove"],
      responder: (host, command) => (command.startsWith("ls -A .kamal/apps") ? { stdout: host === "10.0.0.2" ? "1\n" : "0\n" } : undefined),
    });
    await expect(removeAll(run, { confirmed: false })).rejects.toThrow("pass -y");
    await removeAll(run, { confirmed: true });
    for (const host of ["10.0.0.1", "10.0.0.2"]) {
      const commands = servers.commandsOn(host);
      expect(commands).toContain("docker exec kamal-proxy kamal-proxy remove app-web");
      expect(commands).toContain("docker container prune --force --filter label=service=app --filter label=destination= --filter label=role=web");
      expect(commands).toContain("docker image prune --all --force --filter label=service=app");
      expect(commands).toContain("rm -r .kamal/apps/app");
      expect(commands).toContain("docker logout registry.example:5000");
    }
    // Another app still lives on host 2: its proxy and network stay.
    expect(servers.commandsOn("10.0.0.1")).toContain("docker network rm kamal");
    expect(servers.commandsOn("10.0.0.1")).toContain("docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy");
    expect(servers.commandsOn("10.0.0.2")).not.toContain("docker network rm kamal");
  });
});

describe("prune", () => {
  it("refuses to keep fewer than one container, and prunes with Kamal's pipelines under the lock", async () => {
    const refused = await harness(BASE_CONFIG);
    await expect(prune(refused.run, "containers", 0)).rejects.toThrow("retain must be at least 1");
    const { run, servers } = await harness(BASE_CONFIG, { command: ["prune", "all"] });
    await prune(run, "all", 2);
    const commands = servers.commandsOn("10.0.0.2");
    expect(commands).toContain(
      "docker ps -q -a --filter label=service=app --filter status=created --filter status=exited --filter status=dead | tail -n +3 | while read container_id; do docker rm $container_id; done",
    );
    expect(commands).toContain("docker image prune --force --filter label=service=app");
    expect(servers.commandsOn("10.0.0.1")[0]).toBe("mkdir -p .kamal");
  });
});

import { join } from "node:path";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BERTH_PROXY_TAG, BERTH_PROXY_VERSION, berthProxyRepository } from "../../../src/config/index.js";
import { bootProxy, checkProxyVersion, olderVersion, proxyBootSteps, rebootProxy, runWithProxyBoot } from "../../../src/deploy/proxy.js";
import { PROXY_PACKAGE_DIRECTORY, berthProxyImage, isMissingImageError, proxyConfigView, runsBerthProxy } from "../../../src/deploy/proxy-image.js";
import { render } from "../../../src/core/cmd.js";
import * as proxyCommands from "../../../src/commands/proxy.js";
import { BASE_CONFIG, harness } from "./fake.js";

const PROXY_IMAGE = "registry.example:5000/team/berth-proxy:v0.9.2.0.1.2";

describe("Berth's proxy image", () => {
  it("is named after the app's registry and image namespace, with a tag Kamal's version check accepts", () => {
    expect(berthProxyRepository("team/app")).toBe("team/berth-proxy");
    expect(berthProxyRepository("org/team/app")).toBe("org/team/berth-proxy");
    expect(berthProxyRepository("app")).toBe("berth-proxy");
    expect(BERTH_PROXY_TAG).toBe(`v0.9.2.${BERTH_PROXY_VERSION}`);
    expect(olderVersion(BERTH_PROXY_TAG, "v0.9.2")).toBe(false);
  });

  it("follows the proxy package's version, and the package ships what the image is built from", () => {
    const proxyPackage = JSON.parse(readFileSync(join(PROXY_PACKAGE_DIRECTORY, "package.json"), "utf8")) as { version: string };
    expect(BERTH_PROXY_VERSION).toBe(proxyPackage.version);
    const rootPackage = JSON.parse(readFileSync(join(PROXY_PACKAGE_DIRECTORY, "..", "package.json"), "utf8")) as { files: string[] };
    expect(rootPackage.files).toEqual(expect.arrayContaining(["proxy/package.json", "proxy/Dockerfile", "proxy/dist/**/*.js"]));
  });

  it("runs by default, with or without proxy.run, and boots with Kamal's run line", async () => {
    const { config } = await harness(BASE_CONFIG);
    expect(runsBerthProxy(config, "10.0.0.1")).toBe(true);
    expect(berthProxyImage(config)).toBe(PROXY_IMAGE);
    // No proxy.run: the legacy boot files still win, with Berth's image as their default.
    const legacy = render(proxyCommands.startOrRun(proxyConfigView(config, "10.0.0.1"), "10.0.0.1"));
    expect(legacy).toContain('$(cat .kamal/proxy/image 2> /dev/null || echo "registry.example:5000/team/berth-proxy")');
    expect(legacy).toContain('$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.2.0.1.2")');

    const withRun = await harness(`${BASE_CONFIG}proxy:\n  run:\n    http_port: 8080\n`);
    const run = render(proxyCommands.startOrRun(proxyConfigView(withRun.config, "10.0.0.1"), "10.0.0.1"));
    expect(run).toBe(
      "docker container start kamal-proxy || docker run --name kamal-proxy --network kamal --detach --restart unless-stopped " +
        "--volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config " +
        `--publish 8080:80 --publish 443:443 --log-opt max-size=10m ${PROXY_IMAGE} kamal-proxy run`,
    );
  });

  it("stays out of the way when proxy.run names an image (Kamal's own, for example)", async () => {
    const { config } = await harness(`${BASE_CONFIG}proxy:\n  run:\n    repository: basecamp/kamal-proxy\n`);
    expect(runsBerthProxy(config, "10.0.0.1")).toBe(false);
    expect(render(proxyCommands.run(proxyConfigView(config, "10.0.0.1"), "10.0.0.1"))).toContain(" basecamp/kamal-proxy:v0.9.2 kamal-proxy run");
  });

  it("counts as Berth's own when proxy.run names exactly its image (a config shared with Kamal), so Berth pushes it when missing", async () => {
    const named = `proxy:\n  run:\n    registry: registry.example:5000\n    repository: team/berth-proxy\n    version: ${BERTH_PROXY_TAG}\n`;
    expect(runsBerthProxy((await harness(`${BASE_CONFIG}${named}`)).config, "10.0.0.1")).toBe(true);
    const older = named.replace(BERTH_PROXY_TAG, "v0.9.2.0.0.9");
    expect(runsBerthProxy((await harness(`${BASE_CONFIG}${older}`)).config, "10.0.0.1")).toBe(false);
  });

  it("recognises a registry without the image", () => {
    expect(isMissingImageError("docker: Error response from daemon: manifest for r:5000/team/berth-proxy:v1 not found: manifest unknown: manifest unknown.")).toBe(true);
    expect(isMissingImageError("Unable to find image 'x' locally\ndocker: Error response from daemon: pull access denied for x, repository does not exist")).toBe(true);
    expect(isMissingImageError("docker: Error response from daemon: driver failed programming external connectivity: port is already allocated")).toBe(false);
  });
});

describe("proxy version check (Kamal's Gem::Version comparison)", () => {
  it("accepts v0.9.2 and newer, refuses older and pre-releases of v0.9.2", () => {
    expect(olderVersion("v0.9.2", "v0.9.2")).toBe(false);
    expect(olderVersion("v0.10.0", "v0.9.2")).toBe(false);
    expect(olderVersion("v0.9.2.0.1.2", "v0.9.2")).toBe(false);
    expect(olderVersion("v0.8.7", "v0.9.2")).toBe(true);
    expect(olderVersion("v0.9.2-berth", "v0.9.2")).toBe(true);
    expect(() => checkProxyVersion("10.0.0.1", "v0.8.7")).toThrow("kamal-proxy version v0.8.7 is too old on 10.0.0.1, run `berth proxy reboot`");
    expect(() => checkProxyVersion("10.0.0.1", "")).not.toThrow();
  });
});

describe("proxy boot", () => {
  it("boots in one round trip per host: network, login, version, directory, start-or-run", async () => {
    const { run, servers } = await harness(BASE_CONFIG, { command: ["proxy", "boot"], secrets: { REGISTRY_PASSWORD: "pw" } });
    await bootProxy(run);
    const steps = servers.recorded.filter((entry) => entry.host === "10.0.0.2");
    expect(steps.map((entry) => entry.command.split(" ").slice(0, 4).join(" "))).toEqual([
      "docker network create kamal",
      "docker login registry.example:5000 -u",
      "docker inspect kamal-proxy --format",
      "mkdir -p .kamal/proxy/apps-config",
      "docker container start kamal-proxy",
    ]);
    expect(steps[4]!.command).toMatch(/^docker container start kamal-proxy \|\| echo /);
    expect(new Set(steps.map((entry) => entry.roundTrip)).size).toBe(1);
    // The password goes on stdin, never on the command line.
    expect(steps[1]!.stdin).toBe("pw");
    expect(steps.some((entry) => entry.command.includes("pw"))).toBe(false);
  });

  it("builds and pushes Berth's proxy image when the registry doesn't have it, then starts the proxy", async () => {
    let attempts = 0;
    const { run, servers, local } = await harness(BASE_CONFIG, {
      secrets: { REGISTRY_PASSWORD: "pw" },
      responder: (_host, command) => {
        if (command.startsWith("docker container start kamal-proxy ||") && attempts++ === 0) {
          return { code: 125, stderr: "docker: Error response from daemon: manifest for registry.example:5000/team/berth-proxy:v0.9.2.0.1.2 not found: manifest unknown" };
        }
        return undefined;
      },
    });
    await runWithProxyBoot(run, "10.0.0.1", proxyBootSteps(run, "10.0.0.1"));
    const built = local.recorded.map((entry) => entry.command);
    expect(built[0]).toMatch(/^docker login registry\.example:5000/);
    expect(built[1]).toMatch(new RegExp(`^docker build --build-arg BASE=node:20-bookworm-slim --label org.opencontainers.image.title=kamal-proxy -t ${PROXY_IMAGE.replace(/\./g, "\\.")} -f \\S+/Dockerfile \\S+$`));
    expect(built[2]).toBe(`docker push ${PROXY_IMAGE}`);
    expect(servers.commandsOn("10.0.0.1").filter((command) => command.startsWith("docker container start kamal-proxy ||"))).toHaveLength(2);
  });

  it("doesn't build anything when the failure is something else", async () => {
    const { run, local } = await harness(BASE_CONFIG, {
      secrets: { REGISTRY_PASSWORD: "pw" },
      responder: (_host, command) => (command.startsWith("docker container start") ? { code: 125, stderr: "port is already allocated" } : undefined),
    });
    await expect(runWithProxyBoot(run, "10.0.0.1", proxyBootSteps(run, "10.0.0.1"))).rejects.toThrow("port is already allocated");
    expect(local.recorded).toEqual([]);
  });

  it("refuses to run apps behind a proxy older than v0.9.2", async () => {
    const { run } = await harness(BASE_CONFIG, {
      secrets: { REGISTRY_PASSWORD: "pw" },
      responder: (_host, command) => (command.startsWith("docker inspect kamal-proxy") ? { stdout: "v0.8.4\n" } : undefined),
    });
    await expect(runWithProxyBoot(run, "10.0.0.1", proxyBootSteps(run, "10.0.0.1"))).rejects.toThrow("kamal-proxy version v0.8.4 is too old");
  });

  it("reboots host by host with --rolling, hooks around each group, after confirmation", async () => {
    const { run, servers } = await harness(BASE_CONFIG, { secrets: { REGISTRY_PASSWORD: "pw" }, command: ["proxy", "reboot"] });
    await expect(rebootProxy(run, { rolling: true, confirmed: false })).rejects.toThrow("pass -y");
    await rebootProxy(run, { rolling: true, confirmed: true });
    const onFirst = servers.commandsOn("10.0.0.1");
    expect(onFirst.some((command) => command === "docker container stop kamal-proxy")).toBe(true);
    expect(onFirst.some((command) => command === "docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy")).toBe(true);
    expect(onFirst.some((command) => command.startsWith("docker run --name kamal-proxy") || command.includes("| xargs docker run --name kamal-proxy"))).toBe(true);
    // Rolling: all of host 1 before any of host 2.
    const order = servers.recorded.filter((entry) => !entry.command.startsWith("mkdir -p .kamal ;") && !entry.command.startsWith("mkdir .kamal/lock") && !entry.command.startsWith("rm .kamal/lock")).map((entry) => entry.host);
    const lastOfFirst = order.lastIndexOf("10.0.0.1");
    const firstOfSecond = order.indexOf("10.0.0.2");
    expect(lastOfFirst).toBeLessThan(firstOfSecond);
  });

  it("with --rolling, goes on to the next host only once the rebooted proxy answers", async () => {
    let refusals = 2;
    const { run, servers } = await harness(BASE_CONFIG, {
      secrets: { REGISTRY_PASSWORD: "pw" },
      command: ["proxy", "reboot"],
      responder: (host, command) => {
        if (host === "10.0.0.1" && command === "docker exec kamal-proxy kamal-proxy list" && refusals-- > 0) return { code: 1, stderr: "Error: no kamal-proxy is running" };
        return undefined;
      },
    });
    await rebootProxy(run, { rolling: true, confirmed: true });
    const listed = servers.recorded.filter((entry) => entry.command === "docker exec kamal-proxy kamal-proxy list");
    expect(listed.map((entry) => entry.host)).toEqual(["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"]);
    const answeredAt = servers.recorded.indexOf(listed[2]!);
    expect(servers.recorded.findIndex((entry) => entry.host === "10.0.0.2")).toBeGreaterThan(answeredAt);
  });
});

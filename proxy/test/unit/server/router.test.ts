import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NameResolver } from "../../../src/server/name-resolver.js";
import { defaultServiceOptions, defaultTargetOptions, type DeployArgs } from "../../../src/server/options.js";
import { Router, type RouterOptions } from "../../../src/server/router.js";

const routers: Router[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  for (const router of routers.splice(0)) router.dispose();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function router(overrides: Partial<RouterOptions> = {}): Router {
  const created = new Router({ statePath: null, certificates: null, resolver: new NameResolver({ hostsFile: "/nonexistent/hosts" }), log: () => undefined, ...overrides });
  routers.push(created);
  return created;
}

function args(service: string, targets: string[], overrides: Partial<DeployArgs> = {}, hosts: string[] = []): DeployArgs {
  const targetOptions = defaultTargetOptions();
  return {
    service,
    targets,
    readers: [],
    deployTimeoutMs: 1_000,
    drainTimeoutMs: 100,
    force: false,
    serviceOptions: { ...defaultServiceOptions(), hosts },
    targetOptions: { ...targetOptions, healthCheck: { ...targetOptions.healthCheck, intervalMs: 100, timeoutMs: 300 } },
    ...overrides,
  };
}

async function healthy(): Promise<string> {
  const server = http.createServer((_request, response) => response.end("ok"));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

const routeOf = (r: Router, host: string, urlPath = "/"): string | undefined => r.map.lookup(host, urlPath)?.service.active?.targetNames()[0];

describe("router", () => {
  it("deploys once the new target is healthy, then routes to it; a redeploy swaps the target", async () => {
    const r = router();
    const first = await healthy();
    await r.deploy(args("app", [first], {}, ["app.test"]));
    expect(routeOf(r, "app.test")).toBe(first);
    const second = await healthy();
    await r.deploy(args("app", [second], {}, ["app.test"]));
    expect(routeOf(r, "app.test")).toBe(second);
    expect(r.list()).toEqual([{ service: "app", host: "app.test", path: "/", target: second, state: "running", tls: false }]);
  });

  it("keeps the old target when the new one never becomes healthy, and says why", async () => {
    const r = router();
    const good = await healthy();
    await r.deploy(args("app", [good]));
    await expect(r.deploy(args("app", ["127.0.0.1:1"], { deployTimeoutMs: 250 }))).rejects.toThrow(
      "target failed to become healthy within configured timeout (250ms): 127.0.0.1:1 (GET /up failed: connection refused)",
    );
    expect(routeOf(r, "anything.test")).toBe(good);
  });

  it("installs a --force deploy without waiting for health", async () => {
    const r = router();
    await r.deploy(args("app", ["127.0.0.1:1"], { force: true }));
    expect(routeOf(r, "x.test")).toBe("127.0.0.1:1");
  });

  it("refuses a (host, path) another service owns, and invalid options, changing nothing", async () => {
    const r = router();
    await r.deploy(args("a", ["127.0.0.1:1"], { force: true }, ["shared.test"]));
    await expect(r.deploy(args("b", ["127.0.0.1:2"], { force: true }, ["shared.test"]))).rejects.toThrow("host settings conflict with another service");
    await expect(r.deploy(args("c", ["http://x:80"], { force: true }))).rejects.toThrow("invalid target address");
    expect(r.list().map((service) => service.service)).toEqual(["a"]);
  });

  it("pauses, stops and resumes a service, removes it, and names an unknown one", async () => {
    const r = router();
    await r.deploy(args("app", ["127.0.0.1:1"], { force: true }));
    await r.stop("app", 10, "back soon");
    expect(r.list()[0]!.state).toBe("stopped");
    expect(r.service("app")!.pause.check()).toEqual({ action: "stopped", message: "back soon" });
    r.resume("app");
    expect(r.list()[0]!.state).toBe("running");
    r.remove("app");
    expect(r.map.lookup("x.test", "/")).toBeNull();
    expect(() => r.remove("app")).toThrow("service not found");
  });

  it("saves its state after each change and restores it without waiting for health checks", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-router-"));
    const statePath = path.join(dir, "kamal-proxy.state");
    const first = router({ statePath });
    await first.deploy(args("app", ["127.0.0.1:1"], { force: true }, ["app.test"]));
    await first.stop("app", 10, "maintenance");
    const saved = JSON.parse(fs.readFileSync(statePath, "utf8")) as Array<Record<string, unknown>>;
    expect(saved[0]).toMatchObject({ name: "app", active_targets: ["127.0.0.1:1"], options: { hosts: ["app.test"] } });

    const second = router({ statePath });
    const started = Date.now();
    await second.restore();
    expect(Date.now() - started).toBeLessThan(200); // the target refuses connections: its checks go on in the background
    expect(routeOf(second, "app.test")).toBe("127.0.0.1:1");
    expect(second.service("app")!.pause.state).toBe("stopped");
    expect(second.service("app")!.active!.warmUntil).toBeGreaterThan(Date.now());
  });
});

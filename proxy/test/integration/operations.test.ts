// pause/resume/stop, rollout and state persistence across a restart, through the CLI.
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { request, sleep, startApp, startProxy, type TestApp, type TestProxy } from "../support/harness.js";

const proxies: TestProxy[] = [];
const apps: TestApp[] = [];

afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.stop();
  for (const app of apps.splice(0)) await app.close();
});

async function proxyFor(dir?: string): Promise<TestProxy> {
  const proxy = await startProxy(dir === undefined ? {} : { dir });
  proxies.push(proxy);
  return proxy;
}

async function app(name: string): Promise<TestApp> {
  const started = await startApp(name);
  apps.push(started);
  return started;
}

describe("pause, resume, stop", () => {
  it("holds requests while paused and releases them on resume", async () => {
    const proxy = await proxyFor();
    const a = await app("a");
    await proxy.cli("deploy", "a", `--target=${a.address}`);
    expect((await proxy.cli("pause", "a", "--max-pause=10s")).code).toBe(0);
    let answered = false;
    const held = request(`${proxy.httpUrl}/`).then((response) => {
      answered = true;
      return response;
    });
    await sleep(300);
    expect(answered).toBe(false);
    // Health checks from outer load balancers still pass while paused.
    expect((await request(`${proxy.httpUrl}/up`)).status).toBe(200);
    expect((await proxy.cli("resume", "a")).code).toBe(0);
    const response = await held;
    expect(response.status).toBe(200);
    expect(response.body).toBe("a");
  });

  it("answers 504 once a pause outlasts --max-pause", async () => {
    const proxy = await proxyFor();
    const a = await app("a");
    await proxy.cli("deploy", "a", `--target=${a.address}`);
    await proxy.cli("pause", "a", "--max-pause=200ms");
    const started = Date.now();
    expect((await request(`${proxy.httpUrl}/`)).status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("stops with 503 and the message, releasing paused requests, and lists the state", async () => {
    const proxy = await proxyFor();
    const a = await app("a");
    await proxy.cli("deploy", "a", `--target=${a.address}`, "--host=example.com");
    await proxy.cli("pause", "a");
    const held = request(`${proxy.httpUrl}/`, { headers: { Host: "example.com" } });
    await sleep(100);
    expect((await proxy.cli("stop", "a", "--message", "Upgrading the database")).code).toBe(0);
    const response = await held;
    expect(response.status).toBe(503);
    expect(response.body).toContain("Upgrading the database");
    const listed = await proxy.cli("list");
    expect(listed.out).toMatch(/^Service\s+Host\s+Path\s+Target\s+State\s+TLS\n/);
    expect(listed.out).toMatch(new RegExp(`a\\s+example\\.com\\s+/\\s+${a.address}\\s+stopped\\s+no`));
    await proxy.cli("resume", "a");
    expect((await request(`${proxy.httpUrl}/`, { headers: { Host: "example.com" } })).body).toBe("a");
  });

  it("fails for an unknown service with kamal-proxy's message", async () => {
    const proxy = await proxyFor();
    const result = await proxy.cli("pause", "nope");
    expect(result.code).toBe(1);
    expect(result.err).toContain("service not found");
  });
});

describe("rollout", () => {
  it("splits by the kamal-rollout cookie: allow-list, percentage, then stop", async () => {
    const proxy = await proxyFor();
    const v1 = await app("v1");
    const v2 = await app("v2");
    await proxy.cli("deploy", "app", `--target=${v1.address}`);
    expect((await proxy.cli("rollout", "set", "app", "--percent=50")).err).toContain("rollout target not set");
    expect((await proxy.cli("rollout", "deploy", "app", `--target=${v2.address}`)).code).toBe(0);
    const get = async (cookie?: string): Promise<string> =>
      (await request(`${proxy.httpUrl}/`, cookie === undefined ? {} : { headers: { Cookie: `other=1; kamal-rollout=${cookie}` } })).body;
    // Deployed but no split yet: everyone stays on the active version.
    expect(await get("acct-1")).toBe("v1");
    expect((await proxy.cli("rollout", "set", "app", "--percent=0", "--list=acct-1,acct-2")).code).toBe(0);
    expect(await get("acct-1")).toBe("v2");
    expect(await get("acct-3")).toBe("v1");
    expect(await get()).toBe("v1");
    await proxy.cli("rollout", "set", "app", "--percent=100");
    expect(await get("anyone")).toBe("v2");
    expect(await get()).toBe("v1");
    await proxy.cli("rollout", "stop", "app");
    expect(await get("acct-1")).toBe("v1");
  });
});

describe("state", () => {
  it("survives a restart: routes, options and pause state come back from the state file", async () => {
    const first = await proxyFor();
    const a = await app("a");
    const b = await app("b");
    await first.cli("deploy", "a", `--target=${a.address}`, "--host=a.test", "--buffer-requests", "--log-request-header=X-Trace");
    await first.cli("deploy", "b", `--target=${b.address}`, "--host=b.test", "--path-prefix=/b");
    await first.cli("stop", "b", "--message=maintenance", "--drain-timeout=1s");
    const state = JSON.parse(fs.readFileSync(first.statePath, "utf8")) as Array<Record<string, unknown>>;
    expect(state.map((service) => service.name).sort()).toEqual(["a", "b"]);
    expect(state.find((service) => service.name === "a")).toMatchObject({
      active_targets: [a.address],
      options: { hosts: ["a.test"], path_prefixes: ["/"] },
      target_options: { buffer_requests: true, log_request_headers: ["X-Trace"], response_timeout: 30_000_000_000 },
    });
    await first.stop();
    proxies.splice(proxies.indexOf(first), 1);

    const second = await proxyFor(first.dir);
    expect((await request(`${second.httpUrl}/`, { headers: { Host: "a.test" } })).body).toBe("a");
    const stopped = await request(`${second.httpUrl}/b/x`, { headers: { Host: "b.test" } });
    expect(stopped.status).toBe(503);
    expect(stopped.body).toContain("maintenance");
    await second.cli("remove", "a");
    expect((await request(`${second.httpUrl}/`, { headers: { Host: "a.test" } })).status).toBe(404);
    const after = JSON.parse(fs.readFileSync(second.statePath, "utf8")) as Array<Record<string, unknown>>;
    expect(after.map((service) => service.name)).toEqual(["b"]);
  });

  it("reads kamal-proxy's legacy single-target state fields", async () => {
    const a = await app("a");
    const dir = fs.mkdtempSync("/tmp/berth-proxy-legacy-");
    fs.writeFileSync(
      `${dir}/kamal-proxy.state`,
      JSON.stringify([{ name: "old", active_target: a.address, hosts: ["legacy.test"], options: {}, target_options: { health_check_config: { path: "/up" } } }]),
    );
    const proxy = await proxyFor(dir);
    expect((await request(`${proxy.httpUrl}/`, { headers: { Host: "legacy.test" } })).body).toBe("a");
  });
});

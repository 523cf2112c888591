import http from "node:http";
import type net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NameResolver } from "../../../src/server/name-resolver.js";
import { defaultTargetOptions, type TargetOptions } from "../../../src/server/options.js";
import { Target, type InFlight } from "../../../src/server/target.js";

const resolver = new NameResolver({ hostsFile: "/nonexistent/hosts" });
const servers: http.Server[] = [];
const targets: Target[] = [];
afterEach(async () => {
  for (const target of targets.splice(0)) target.dispose();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function make(address: string, overrides: Partial<TargetOptions["healthCheck"]> = {}): Target {
  const options = defaultTargetOptions();
  const target = new Target(address, { ...options, healthCheck: { ...options.healthCheck, intervalMs: 200, timeoutMs: 500, ...overrides } }, resolver);
  targets.push(target);
  return target;
}

/** A health endpoint answering with the statuses given, one per check (the last one repeats). */
async function healthServer(statuses: number[]): Promise<{ address: string; checks: () => number }> {
  let checks = 0;
  const server = http.createServer((request, response) => {
    response.statusCode = statuses[Math.min(checks++, statuses.length - 1)]!;
    response.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, checks: () => checks };
}

/** Something in flight that ends when a drain aborts it, as requests and tunnels do. */
function item(target: Target, tunnel = false): InFlight & { aborted: number } {
  const entry = {
    aborted: 0,
    abortForDrain() {
      entry.aborted++;
      if (tunnel) target.endTunnel(entry);
      else target.end(entry);
    },
  };
  return entry;
}

describe("target", () => {
  it("reads Kamal's target addresses: a name or address, port 80 by default", () => {
    expect(make("3f1c9a2b7d4e")).toMatchObject({ name: "3f1c9a2b7d4e", host: "3f1c9a2b7d4e", port: 80 });
    expect(make("app-web-1:3000")).toMatchObject({ host: "app-web-1", port: 3000 });
    expect(() => make("http://app:80")).toThrow("invalid target address");
  });

  it("probes at once and again soon after a failure, until it is healthy", async () => {
    const health = await healthServer([503, 503, 200]);
    const target = make(health.address, { intervalMs: 1_000 });
    const started = Date.now();
    const healthy = new Promise<void>((resolve) => (target.onHealthChange = () => resolve()));
    target.startHealthChecks();
    await healthy;
    expect(target.state).toBe("healthy");
    expect(health.checks()).toBe(3);
    expect(Date.now() - started).toBeLessThan(900); // 50 + 100 ms between the probes, not two 1 s intervals
    expect(target.lastProbe?.detail).toBe("GET /up returned 200");
  });

  it("turns unhealthy when a check of a healthy target fails, and says why", async () => {
    const health = await healthServer([200, 500]);
    const target = make(health.address);
    const changes: string[] = [];
    const settled = new Promise<void>((resolve) => {
      target.onHealthChange = () => {
        changes.push(target.state);
        if (target.state === "unhealthy") resolve();
      };
    });
    target.startHealthChecks();
    await settled;
    expect(changes).toEqual(["healthy", "unhealthy"]);
    expect(target.lastProbe?.detail).toBe("GET /up returned 500");
    const refused = make("127.0.0.1:1");
    const failed = new Promise<void>((resolve) => setTimeout(resolve, 100));
    refused.startHealthChecks();
    await failed;
    expect(refused.lastProbe?.detail).toBe("GET /up failed: connection refused");
  });

  it("drains: waits for in-flight requests, ends what is left at the deadline, and restores its state", async () => {
    const target = make("app:80");
    target.setHealthy(true);
    const quick = item(target);
    const slow = item(target);
    target.begin(quick);
    target.begin(slow);
    setTimeout(() => target.end(quick), 20);
    const draining = target.drain(150);
    expect(target.state).toBe("draining");
    await draining;
    expect(quick.aborted).toBe(0);
    expect(slow.aborted).toBe(1);
    expect(target.state).toBe("healthy");
    expect(await Promise.race([target.drain(10_000).then(() => "idle"), new Promise((resolve) => setTimeout(() => resolve("waited"), 50))])).toBe("idle");
  });

  it("waits for upgraded connections too, or closes them at once when told", async () => {
    const target = make("app:80");
    const socket = item(target, true);
    target.beginTunnel(socket);
    setTimeout(() => target.endTunnel(socket), 30);
    await target.drain(1_000);
    expect(socket.aborted).toBe(0);
    const other = item(target, true);
    target.beginTunnel(other);
    await target.drain(1_000, true);
    expect(other.aborted).toBe(1);
  });
});

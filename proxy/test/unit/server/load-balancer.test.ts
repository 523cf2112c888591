import { describe, expect, it } from "vitest";
import { LoadBalancer } from "../../../src/server/load-balancer.js";
import { NameResolver } from "../../../src/server/name-resolver.js";
import { defaultTargetOptions } from "../../../src/server/options.js";
import { Target } from "../../../src/server/target.js";

const resolver = new NameResolver({ hostsFile: "/nonexistent/hosts" });
const target = (name: string, healthy = true): Target => {
  const created = new Target(name, defaultTargetOptions(), resolver);
  if (healthy) created.setHealthy(true);
  return created;
};
const balancer = (writers: Target[], readers: Target[] = [], websocketsToReaders = false): LoadBalancer =>
  new LoadBalancer(writers, readers, 1_000, websocketsToReaders);
const names = (lb: LoadBalancer, count: number, request = { method: "GET", isUpgrade: false, writerAffinityUntil: 0 }): Array<string | undefined> =>
  Array.from({ length: count }, () => lb.pick(request)?.name);

describe("load balancer", () => {
  it("goes round-robin over the healthy writers only, and has nothing to offer when none is healthy", () => {
    const down = target("app-c:80", false);
    const lb = balancer([target("app-a:80"), down, target("app-b:80")]);
    expect(names(lb, 4)).toEqual(["app-a:80", "app-b:80", "app-a:80", "app-b:80"]);
    down.setHealthy(true);
    expect(new Set(names(lb, 6))).toEqual(new Set(["app-a:80", "app-b:80", "app-c:80"]));
    expect(balancer([target("app-x:80", false)]).pick({ method: "GET", isUpgrade: false, writerAffinityUntil: 0 })).toBeNull();
  });

  it("sends reads to readers, writes to writers, and reads to writers while the writer-affinity cookie lasts", () => {
    const lb = balancer([target("writer:80")], [target("reader:80")]);
    expect(lb.pick({ method: "GET", isUpgrade: false, writerAffinityUntil: 0 })?.name).toBe("reader:80");
    expect(lb.pick({ method: "HEAD", isUpgrade: false, writerAffinityUntil: 0 })?.name).toBe("reader:80");
    expect(lb.pick({ method: "POST", isUpgrade: false, writerAffinityUntil: 0 })?.name).toBe("writer:80");
    expect(lb.pick({ method: "GET", isUpgrade: false, writerAffinityUntil: Date.now() + 5_000 })?.name).toBe("writer:80");
    expect(lb.pick({ method: "GET", isUpgrade: true, writerAffinityUntil: 0 })?.name).toBe("writer:80");
    expect(balancer([target("app-w:80")], [target("app-r:80")], true).pick({ method: "GET", isUpgrade: true, writerAffinityUntil: 0 })?.name).toBe("app-r:80");
  });

  it("falls back to writers for reads when no reader is healthy", () => {
    const lb = balancer([target("writer:80")], [target("reader:80", false)]);
    expect(lb.pick({ method: "GET", isUpgrade: false, writerAffinityUntil: 0 })?.name).toBe("writer:80");
  });

  it("waits until every target is healthy, or says no at the timeout, and names the failing ones", async () => {
    const a = target("app-a:80", false);
    const b = target("app-b:80", false);
    const lb = balancer([a, b]);
    expect(lb.unhealthySummary()).toBe("app-a:80 (no health check completed), app-b:80 (no health check completed)");
    const waiting = lb.waitUntilHealthy(1_000);
    a.setHealthy(true);
    setTimeout(() => b.setHealthy(true), 20);
    expect(await waiting).toBe(true);
    expect(await balancer([target("app-c:80", false)]).waitUntilHealthy(30)).toBe(false);
  });

  it("while warming up (restored at start), has a request wait for a healthy target instead of answering 503", async () => {
    const restored = target("restored:80", false);
    const lb = balancer([restored]);
    expect(lb.waitForTarget(() => undefined)).toBeNull(); // not warming: nothing to wait for
    lb.warmUntil = Date.now() + 1_000;
    let retried = 0;
    expect(lb.waitForTarget(() => retried++)).not.toBeNull();
    const cancel = lb.waitForTarget(() => retried++ && expect.unreachable());
    cancel!();
    restored.setHealthy(true);
    expect(retried).toBe(1);

    const cold = balancer([target("cold:80", false)]);
    cold.warmUntil = Date.now() + 50;
    const started = Date.now();
    await new Promise<void>((resolve) => cold.waitForTarget(resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(40); // the warm-up ended: the caller answers 503 now
    expect(cold.waitForTarget(() => undefined)).toBeNull();
  });

  it("releases waiting requests when disposed", () => {
    const lb = balancer([target("gone:80", false)]);
    lb.warmUntil = Date.now() + 10_000;
    let released = false;
    lb.waitForTarget(() => (released = true));
    lb.dispose();
    expect(released).toBe(true);
    expect(lb.waitForTarget(() => undefined)).toBeNull();
  });
});

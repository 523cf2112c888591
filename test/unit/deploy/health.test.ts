import { describe, expect, it } from "vitest";
import { Barrier, waitUntilHealthy } from "../../../src/deploy/health.js";

describe("Barrier", () => {
  it("lets waiters through once opened; only the first settle counts", async () => {
    const barrier = new Barrier();
    const waiting = barrier.wait();
    expect(barrier.open()).toBe(true);
    await expect(waiting).resolves.toBeUndefined();
    expect(barrier.close()).toBe(false);
    await expect(barrier.wait()).resolves.toBeUndefined();
  });

  it("fails waiters once closed", async () => {
    const barrier = new Barrier();
    const waiting = barrier.wait();
    expect(barrier.close()).toBe(true);
    await expect(waiting).rejects.toThrow("unhealthy");
    expect(barrier.open()).toBe(false);
    expect(barrier.state).toBe("closed");
  });
});

describe("waitUntilHealthy", () => {
  function clock() {
    let now = 0;
    const slept: number[] = [];
    return { now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)), slept };
  }

  it("returns at the first healthy status, backing off between polls", async () => {
    const time = clock();
    const statuses = ["starting", "starting", "healthy"];
    await waitUntilHealthy(async () => statuses.shift()!, { timeoutSeconds: 30, readinessDelaySeconds: 7, ...time });
    expect(time.slept).toEqual([500, 1000]);
  });

  it("waits the readiness delay after `running` (no health check) and checks it is still running", async () => {
    const time = clock();
    await waitUntilHealthy(async () => "running", { timeoutSeconds: 30, readinessDelaySeconds: 7, ...time });
    expect(time.slept).toEqual([7000]);

    const exits = clock();
    const statuses = ["running", "exited"];
    await expect(waitUntilHealthy(async () => statuses.shift() ?? "exited", { timeoutSeconds: 30, readinessDelaySeconds: 2, ...exits })).rejects.toThrow(
      "container not ready after 30 seconds (exited)",
    );
  });

  it("gives up at the deploy timeout with the last status", async () => {
    const time = clock();
    await expect(waitUntilHealthy(async () => "unhealthy", { timeoutSeconds: 5, readinessDelaySeconds: 0, ...time })).rejects.toThrow(
      "container not ready after 5 seconds (unhealthy)",
    );
    expect(time.now()).toBeLessThanOrEqual(5000);
  });
});

import { describe, expect, it, vi } from "vitest";
import { CleanupRegistry, exitOnSignals, type SignalProcess } from "../../../src/cli/cleanup.js";

describe("CleanupRegistry", () => {
  it("runs handlers newest first, once, and collects failures without stopping", async () => {
    const registry = new CleanupRegistry();
    const order: string[] = [];
    registry.onExit(() => void order.push("close ssh masters"));
    registry.onExit(() => {
      throw new Error("lock release failed");
    });
    registry.onExit(async () => void order.push("release lock"));
    const failures = await registry.run();
    await registry.run();
    expect(order).toEqual(["release lock", "close ssh masters"]);
    expect(failures).toHaveLength(1);
    expect((failures[0] as Error).message).toBe("lock release failed");
  });

  it("lets a request per host listen for the interruption without Node's leak warning", async () => {
    const registry = new CleanupRegistry();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on("warning", onWarning);
    const listeners = Array.from({ length: 100 }, () => vi.fn());
    for (const listener of listeners) registry.interrupted.addEventListener("abort", listener, { once: true });
    registry.interrupt("SIGTERM");
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    process.off("warning", onWarning);
    expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
    expect(listeners.every((listener) => listener.mock.calls.length === 1)).toBe(true);
  });

  it("forgets a handler once unregistered", async () => {
    const registry = new CleanupRegistry();
    const handler = vi.fn();
    const unregister = registry.onExit(handler);
    unregister();
    await registry.run();
    expect(handler).not.toHaveBeenCalled();
  });

  it("gives up on a handler that hangs", async () => {
    const registry = new CleanupRegistry();
    registry.onExit(() => new Promise(() => {}));
    const failures = await registry.run(50);
    expect(String(failures[0])).toMatch(/timed out/);
  });
});

describe("exitOnSignals", () => {
  function fakeProcess() {
    const listeners = new Map<string, () => void>();
    const exits: number[] = [];
    const proc: SignalProcess = {
      on: (signal, listener) => listeners.set(signal, listener),
      off: (signal) => listeners.delete(signal),
      exit: ((code: number) => void exits.push(code)) as SignalProcess["exit"],
    };
    return { proc, listeners, exits };
  }

  it("runs cleanup on Ctrl-C, then exits 130", async () => {
    const registry = new CleanupRegistry();
    const { proc, listeners, exits } = fakeProcess();
    const released = vi.fn();
    registry.onExit(released);
    const stopped = vi.fn();
    exitOnSignals(registry, proc, stopped);
    listeners.get("SIGINT")!();
    await vi.waitFor(() => expect(exits).toEqual([130]));
    expect(released).toHaveBeenCalledOnce();
    expect(stopped).toHaveBeenCalledWith("SIGINT");
  });

  it("exits at once on a second signal, and 143 for SIGTERM", async () => {
    const registry = new CleanupRegistry();
    registry.onExit(() => new Promise(() => {}));
    const { proc, listeners, exits } = fakeProcess();
    exitOnSignals(registry, proc);
    listeners.get("SIGTERM")!();
    listeners.get("SIGTERM")!();
    expect(exits).toEqual([143]);
  });

  it("lets a command that winds down by itself stop at a signal; a second signal cleans up and exits", async () => {
    const registry = new CleanupRegistry();
    const released = vi.fn();
    registry.onExit(released);
    const { proc, listeners, exits } = fakeProcess();
    const stopped = vi.fn();
    exitOnSignals(registry, proc, stopped);
    const windingDown = registry.windDownOnSignals();
    listeners.get("SIGINT")!();
    // The command sees the signal and winds down; nothing is cut off.
    expect(registry.interrupted.aborted).toBe(true);
    expect(registry.interruptedBy).toBe("SIGINT");
    expect(released).not.toHaveBeenCalled();
    expect(exits).toEqual([]);
    expect(stopped).not.toHaveBeenCalled();
    listeners.get("SIGINT")!();
    await vi.waitFor(() => expect(exits).toEqual([130]));
    expect(released).toHaveBeenCalledOnce();
    windingDown();
    expect(registry.windsDown).toBe(false);
  });

  it("cleans up anyway when a command that winds down hasn't within the grace period", async () => {
    const registry = new CleanupRegistry();
    registry.windDownOnSignals();
    const { proc, listeners, exits } = fakeProcess();
    exitOnSignals(registry, proc, () => {}, 20);
    listeners.get("SIGTERM")!();
    await vi.waitFor(() => expect(exits).toEqual([143]));
  });

  it("removes its listeners when disposed", () => {
    const { proc, listeners } = fakeProcess();
    const dispose = exitOnSignals(new CleanupRegistry(), proc);
    expect(listeners.size).toBe(3);
    dispose();
    expect(listeners.size).toBe(0);
  });
});

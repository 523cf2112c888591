// FirstFailure (first-failure.ts): what a switch under way does when another host fails meanwhile.
import { describe, expect, it } from "vitest";
import { FirstFailure, NotSwitchedError } from "../../../src/deploy/first-failure.js";

function deferred(): { promise: Promise<string>; resolve: (value: string) => void; reject: (error: Error) => void } {
  let resolve!: (value: string) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<string>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("FirstFailure", () => {
  it("keeps the first failure and refuses later switches with it", () => {
    const halt = new FirstFailure();
    expect(() => halt.check("10.0.0.2", "web")).not.toThrow();
    halt.fail("10.0.0.1", "web");
    halt.fail("10.0.0.3", "workers");
    expect(halt.failed).toBe("web on 10.0.0.1");
    expect(() => halt.check("10.0.0.2", "web")).toThrow(new NotSwitchedError({ host: "10.0.0.2", role: "web", because: "web on 10.0.0.1" }));
    expect(() => halt.check("10.0.0.2", "web")).toThrow("web on 10.0.0.2 was not switched: web on 10.0.0.1 failed");
  });

  it("stops a switch under way when a failure comes; the switch that then fails is not switched", async () => {
    const halt = new FirstFailure();
    const work = deferred();
    const stops: string[] = [];
    const switching = halt.during("10.0.0.2", "web", () => work.promise, async () => void stops.push("stop"));
    halt.fail("10.0.0.1", "web");
    halt.fail("10.0.0.1", "web");
    expect(stops).toEqual(["stop"]);
    work.reject(new Error("target failed to become healthy"));
    await expect(switching).rejects.toBeInstanceOf(NotSwitchedError);
  });

  it("says when the switch won the race, and leaves switches alone when nothing failed", async () => {
    const halt = new FirstFailure();
    const raced = deferred();
    const switching = halt.during("10.0.0.2", "web", () => raced.promise, () => Promise.resolve());
    halt.fail("10.0.0.1", "web");
    raced.resolve("ok");
    expect(await switching).toEqual({ value: "ok", halted: true });

    const quiet = new FirstFailure();
    expect(await quiet.during("10.0.0.2", "web", () => Promise.resolve("ok"), () => Promise.reject(new Error("not called")))).toEqual({ value: "ok", halted: false });
    await expect(quiet.during("10.0.0.2", "web", () => Promise.reject(new Error("unhealthy")), () => Promise.resolve())).rejects.toThrow("unhealthy");
  });
});

// The shared git clone is one run's at a time: a second run waits for it, a dead run's lock is taken over.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockClone } from "../../../src/deploy/clone-lock.js";
import { BASE_CONFIG, harness } from "./fake.js";

describe("the clone lock", () => {
  it("makes a second run wait until the first has built, saying so", async () => {
    const clone = join(mkdtempSync(join(tmpdir(), "berth-clone-lock-")), "app-abc");
    const first = await harness(BASE_CONFIG);
    const second = await harness(BASE_CONFIG);
    const release = await lockClone(first.run, clone, new AbortController().signal);
    expect(readFileSync(`${clone}.berth-lock`, "utf8")).toBe(`${process.pid}\n`);
    let taken = false;
    const waiting = lockClone(second.run, clone, new AbortController().signal).then((releaseSecond) => {
      taken = true;
      return releaseSecond;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(taken).toBe(false);
    expect(second.stdout.text).toContain(`Waiting for another run (PID ${process.pid}) building in ${clone}`);
    release();
    (await waiting)();
    expect(taken).toBe(true);
    expect(existsSync(`${clone}.berth-lock`)).toBe(false);
  });

  it("takes over the lock of a process that is gone, and stops waiting when aborted", async () => {
    const clone = join(mkdtempSync(join(tmpdir(), "berth-clone-lock-")), "app-abc");
    writeFileSync(`${clone}.berth-lock`, "2147483646\n"); // no such process
    const { run } = await harness(BASE_CONFIG);
    const release = await lockClone(run, clone, new AbortController().signal);
    expect(readFileSync(`${clone}.berth-lock`, "utf8")).toBe(`${process.pid}\n`);
    const stop = new AbortController();
    const waiting = lockClone((await harness(BASE_CONFIG)).run, clone, stop.signal);
    stop.abort(new Error("the deploy lock was refused"));
    await expect(waiting).rejects.toThrow("the deploy lock was refused");
    release();
  });
});

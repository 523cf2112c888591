// The git clone a build runs in (`$TMPDIR/kamal-clones/<svc>-<sha>/`) is shared by every run of
// the project on this machine: two deploys at once would reset and clean it under each other's
// build. A lock file beside it (`<clone dir>.berth-lock`, holding the PID) keeps it to one run at a
// time, from the clone's refresh to the end of the build; a lock whose process is gone (killed)
// is taken over.
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import type { Run } from "./run.js";
import { processAlive } from "../util/process-alive.js";

const POLL_MS = 200;

/** Waits for the clone (until `stop` aborts) and takes it; returns the release (also run at exit). */
export async function lockClone(run: Run, cloneDirectory: string, stop: AbortSignal): Promise<() => void> {
  const path = `${cloneDirectory.replace(/\/+$/, "")}.berth-lock`;
  mkdirSync(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    stop.throwIfAborted();
    if (tryCreate(path)) break;
    const holder = holderOf(path);
    if (holder === undefined || !processAlive(holder)) {
      removeIfHeldBy(path, holder);
      continue;
    }
    if (!told) run.output.info(`Waiting for another run (PID ${holder}) building in ${cloneDirectory} (remove ${path} if none runs)...`);
    told = true;
    await sleep(POLL_MS, stop);
  }
  const release = (): void => removeIfHeldBy(path, process.pid);
  const unregister = run.onExit(release);
  return () => {
    unregister();
    release();
  };
}

/** Creates the lock with this PID in it, atomically (a link of a file written first): a lock is never seen empty. */
function tryCreate(path: string): boolean {
  const written = `${path}.${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(written, `${process.pid}\n`, { mode: 0o600 });
  try {
    linkSync(written, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(written);
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the lock if it still names `pid` (undefined: an unreadable or empty one). */
function removeIfHeldBy(path: string, pid: number | undefined): void {
  if (holderOf(path) !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

function sleep(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    stop.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    }
  });
}

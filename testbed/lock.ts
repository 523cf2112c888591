// A machine-wide lock held by a `flock` child process: several engineers' test files may start a
// bed at the same moment, and every bed uses the same bridge and addresses. The lock lives as long
// as the child, which exits when our end of its stdin closes, so a crashed test releases it too.
// A process that holds the lock may hand it to its children: with BERTH_TESTBED_LOCK_HOLDER set to
// the holder's PID, a child's acquire succeeds at once while that holder still holds the lock
// (a test that drives `berth demo` runs, keeping other beds out between them).
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface MachineLock {
  release(): Promise<void>;
}

/** Names the process whose hold on the lock a child may share (see above). */
export const LOCK_HOLDER_ENV = "BERTH_TESTBED_LOCK_HOLDER";

export async function acquireMachineLock(file: string, timeoutMs: number, purpose: string): Promise<MachineLock> {
  mkdirSync(dirname(file), { recursive: true });
  if (await heldByNamedHolder(file)) return { release: async () => undefined };
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const child = spawn("flock", ["-w", String(seconds), file, "sh", "-c", "echo locked; exec cat >/dev/null"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
  const locked = await new Promise<boolean>((resolve, reject) => {
    child.on("error", reject);
    child.stdout.once("data", () => resolve(true));
    void exited.then(() => resolve(false));
  });
  if (!locked) {
    throw new Error(`test bed: could not take ${file} within ${seconds} s; held by ${describeHolder(file)}`);
  }
  writeFileSync(`${file}.owner`, `pid ${process.pid} (${purpose}) since ${new Date().toISOString()}\n`);
  // Neither the child nor its pipes may keep the test process alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref();
  return {
    async release() {
      child.ref(); // or the wait below would leave nothing to keep the event loop alive
      child.stdin.end();
      await exited;
    },
  };
}

/**
 * Who holds `file` when a process would have to wait for it (nobody, or our named holder: undefined),
 * so a long wait can be explained before it starts.
 */
export async function lockHeldBy(file: string): Promise<string | undefined> {
  if (!(await isLocked(file)) || (await heldByNamedHolder(file))) return undefined;
  return describeHolder(file);
}

/** True when BERTH_TESTBED_LOCK_HOLDER names the live process that holds `file` right now. */
async function heldByNamedHolder(file: string): Promise<boolean> {
  const holder = Number(process.env[LOCK_HOLDER_ENV]);
  if (!Number.isInteger(holder) || holder <= 0) return false;
  if (describeHolder(file).split(" ")[1] !== String(holder)) return false;
  // The owner note outlives the lock: check that the lock is really taken.
  return isLocked(file);
}

/** Tries the lock without waiting: true when another process holds it. */
async function isLocked(file: string): Promise<boolean> {
  const probe = spawn("flock", ["-n", file, "true"], { stdio: "ignore" });
  const code = await new Promise<number>((resolve) => probe.on("exit", (exitCode) => resolve(exitCode ?? 1)));
  return code !== 0;
}

function describeHolder(file: string): string {
  try {
    return readFileSync(`${file}.owner`, "utf8").trim();
  } catch {
    return "an unknown process";
  }
}

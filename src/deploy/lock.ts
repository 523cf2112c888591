// The deploy lock on the primary host, exactly as Kamal keeps it (`.kamal/lock-<svc>[-dest]`,
// mkdir as the atomic test-and-set, base64 details), so Kamal and Berth honour each other's
// locks. `withLock` takes it for the duration of some work and gives it back however the work
// ends, Ctrl-C included; a process started with KAMAL_LOCK=true already holds it.
import { lock as lockCommands } from "../commands/index.js";
import type { LockDetails } from "../commands/lock.js";
import { BerthError } from "../util/errors.js";
import type { Run } from "./run.js";

export class LockError extends BerthError {
  constructor(message: string) {
    super(message, "Kamal::Cli::LockError");
  }
}

/** The host the lock lives on: the configuration's primary host, whatever -h/-r select. */
export function lockHost(run: Run): string {
  const host = run.config.primaryHost;
  if (host === undefined) throw new BerthError("No primary host: the deploy lock lives on the primary role's first host");
  return host;
}

async function details(run: Run, message: string): Promise<LockDetails> {
  return { lockedBy: (await run.identity()).userName, lockedAt: run.nowIso(), version: run.config.version, message };
}

/**
 * Takes the lock for `work` and releases it afterwards (also on failure and Ctrl-C). Extra steps
 * run in the same round trip as the acquire (e.g. the directories the deploy needs).
 */
export async function withLock<T>(run: Run, work: () => Promise<T>): Promise<T> {
  if (run.holdingLock) return work();
  await acquireLock(run, lockCommands.AUTOMATIC_LOCK_MESSAGE);
  // The work may have released it already: then holdingLock is false.
  const release = async (): Promise<void> => {
    if (run.holdingLock) await releaseLock(run);
  };
  const unregister = run.onExit(release);
  try {
    const result = await work();
    unregister();
    await release();
    // A signal came: the deploy winds down, and says the lock is gone.
    if (run.interrupted.aborted) run.say("Released the deploy lock");
    return result;
  } catch (error) {
    unregister();
    const held = run.holdingLock;
    try {
      await release();
      if (held) run.say("Released the deploy lock");
    } catch (releaseError) {
      run.say(releaseFailure(run, releaseError), "red");
    }
    throw error;
  }
}

/** Why the lock stays, and the command that clears it. */
function releaseFailure(run: Run, error: unknown): string {
  const host = lockHost(run);
  const why = run.reachability.failure(host) !== undefined ? `${host} can't be reached` : ((error as Error).message.split("\n")[0] ?? "");
  return `The deploy lock on ${host} was NOT released (${why}). Once no deploy runs, clear it with \`berth lock release\``;
}

/** Acquires the lock (waiting with --lock-wait), or throws a LockError saying who holds it. */
export async function acquireLock(run: Run, message: string): Promise<void> {
  const host = lockHost(run);
  const deadline = performance.now() + run.globals.lockWaitTimeout * 1000;
  run.say("Acquiring the deploy lock...");
  for (;;) {
    run.throwIfInterrupted();
    const outcome = await tryAcquire(run, host, message);
    if (outcome === "acquired") {
      run.holdingLock = true;
      return;
    }
    const status = await lockStatusText(run, host);
    const held = status === undefined ? null : lockCommands.parseLockDetails(status);
    if (!run.globals.lockWait) {
      run.say("Deploy lock already in place!", "red");
      if (status !== undefined) run.output.print(status);
      throw new LockError(lockFoundMessage(host, held));
    }
    if (held !== null && held.message !== lockCommands.AUTOMATIC_LOCK_MESSAGE) {
      if (status !== undefined) run.output.print(status);
      throw new LockError(
        `Deploy lock held manually by ${held.lockedBy} (${held.message}); --lock-wait only waits for deploys. Release it with 'berth lock release'`,
      );
    }
    if (performance.now() + run.globals.lockWaitInterval * 1000 > deadline) {
      if (status !== undefined) run.output.print(status);
      throw new LockError(`Deploy lock still held after waiting ${run.globals.lockWaitTimeout} seconds (--lock-wait-timeout)`);
    }
    run.say(`Deploy lock held${held ? ` by ${held.lockedBy}` : ""}, waiting ${run.globals.lockWaitInterval} seconds...`, "yellow");
    await sleep(run.globals.lockWaitInterval * 1000);
  }
}

/** Kamal's "Deploy lock found", with who holds it since when, and how to clear a lock no deploy holds any more. */
function lockFoundMessage(host: string, held: LockDetails | null): string {
  const holder = held === null ? "" : ` on ${host}, held by ${held.lockedBy} since ${held.lockedAt} (version ${held.version}: ${held.message})`;
  return (
    `Deploy lock found${holder}. If no deploy is running any more (one was killed, say), release it with \`berth lock release\`; ` +
    "see 'berth lock help' for more information"
  );
}

async function tryAcquire(run: Run, host: string, message: string): Promise<"acquired" | "held"> {
  try {
    const steps = [lockCommands.ensureRunDirectory(run.config), lockCommands.acquire(run.config, await details(run, message))];
    await run.batch(host, steps, { level: "debug" });
    return "acquired";
  } catch (error) {
    if (error instanceof BerthError && lockCommands.isLockHeldError(error.message)) return "held";
    throw error;
  }
}

/** The lock's details as text, or undefined when there is no lock. */
export async function lockStatusText(run: Run, host: string = lockHost(run)): Promise<string | undefined> {
  const result = await run.exec(host, lockCommands.status(run.config), { level: "debug", allowFailure: true });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

export async function releaseLock(run: Run): Promise<void> {
  run.say("Releasing the deploy lock...");
  await run.exec(lockHost(run), lockCommands.release(run.config), { level: "debug" });
  run.holdingLock = false;
}

// `berth lock status|acquire|release` -------------------------------------------------------

export async function showLockStatus(run: Run): Promise<void> {
  const status = await lockStatusText(run);
  run.output.print(status ?? "There is no deploy lock");
}

export async function acquireManualLock(run: Run, message: string): Promise<void> {
  const host = lockHost(run);
  if ((await tryAcquire(run, host, message)) === "held") {
    run.say("Deploy lock already in place!", "red");
    const status = await lockStatusText(run, host);
    if (status !== undefined) run.output.print(status);
    throw new LockError(lockFoundMessage(host, status === undefined ? null : lockCommands.parseLockDetails(status)));
  }
  run.say("Acquired the deploy lock");
}

export async function releaseManualLock(run: Run): Promise<void> {
  const host = lockHost(run);
  const result = await run.exec(host, lockCommands.release(run.config), { level: "debug", allowFailure: true });
  if (result.code !== 0) {
    if (/No such file or directory/.test(result.stderr)) return run.say("There is no deploy lock");
    throw new BerthError(`Could not release the deploy lock on ${host}: ${result.stderr.trim()}`);
  }
  run.say("Released the deploy lock");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

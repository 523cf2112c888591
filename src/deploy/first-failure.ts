// All-or-nothing boots (`x-berth.atomic`, `deploy --atomic`, every `rollback`) stop at the first
// failure: once one host or role has failed, the deploy is lost, so the others don't switch to
// the new version only to be put back (put-back.ts), and the fleet never serves two versions
// meanwhile. app-boot.ts asks at each step whether something failed: before a role starts its
// container, before its switch, at each status poll; and a switch under way when the failure
// comes has its new container stopped, so the proxy never sends it traffic. (Without
// all-or-nothing the other hosts go on, as Kamal's do.)
import { app as appCommands } from "../commands/index.js";
import { BerthError } from "../util/errors.js";
import type { NotSwitched, StartedContainer } from "./put-back.js";
import type { Run } from "./run.js";

export class NotSwitchedError extends BerthError {
  constructor(readonly entry: NotSwitched) {
    super(`${entry.role} on ${entry.host} was not switched: ${entry.because} failed`, "Kamal::Cli::BootError");
  }
}

/** The first failed host and role of a boot, told to whoever is switching at that moment. */
export class FirstFailure {
  private first: string | undefined;
  private readonly listeners = new Set<(because: string) => void>();

  /** Records a failure; the first one tells every switch under way. */
  fail(host: string, role: string): void {
    if (this.first !== undefined) return;
    this.first = `${role} on ${host}`;
    for (const listener of [...this.listeners]) listener(this.first);
  }

  /** What failed first, if anything did. */
  get failed(): string | undefined {
    return this.first;
  }

  /** Throws NotSwitchedError for this host and role when another failed already. */
  check(host: string, role: string): void {
    if (this.first !== undefined) throw new NotSwitchedError({ host, role, because: this.first });
  }

  /**
   * Runs `work` (the switch of `role` on `host`); if a failure comes before it ends, `onFailure`
   * (stopping the new container) runs beside it, once. A switch that then fails was stopped on
   * purpose: NotSwitchedError. `halted` says whether onFailure ran even though the switch succeeded.
   */
  async during<T>(host: string, role: string, work: () => Promise<T>, onFailure: () => Promise<unknown>): Promise<{ readonly value: T; readonly halted: boolean }> {
    let halted: Promise<unknown> | undefined;
    const listener = (): void => {
      halted ??= onFailure().catch(() => undefined);
    };
    this.listeners.add(listener);
    let value: T;
    try {
      value = await work();
    } catch (error) {
      if (halted === undefined) throw error;
      await halted;
      throw new NotSwitchedError({ host, role, because: this.first! });
    } finally {
      this.listeners.delete(listener);
    }
    if (halted !== undefined) await halted;
    return { value, halted: halted !== undefined };
  }
}

/**
 * The proxy's switch to `started` (`work`), unless a failure elsewhere comes first: then the new
 * container is stopped beside the switch, which can't go through any more. Should the switch
 * have won that race, the container serves (stopped): put-back.ts switches the host back.
 */
export async function switchUnlessFailed(run: Run, halt: FirstFailure | undefined, started: StartedContainer, work: () => Promise<unknown>): Promise<void> {
  if (halt === undefined) {
    await work();
    started.serving = true;
    return;
  }
  const { host, role } = started;
  const { halted } = await halt
    .during(host, role.name, work, () => {
      run.output.info(`${halt.failed} failed: stopping ${role.containerName(started.version)} on ${host} before it serves`);
      return stopNew(run, started);
    })
    .catch((error: unknown) => {
      if (error instanceof NotSwitchedError) started.stopped = true; // by the stop beside the switch
      throw error;
    });
  started.serving = true;
  if (halted) throw new BerthError(`${role.name} on ${host} switched as ${halt.failed} failed; it goes back`, "Kamal::Cli::BootError");
}

/** A boot given up for another's failure: its new container (if one started) stopped, and it noted for the report. */
export async function giveUp(run: Run, error: NotSwitchedError, started: StartedContainer | undefined, notSwitched: NotSwitched[] | undefined): Promise<NotSwitchedError> {
  const { host, role, because } = error.entry;
  notSwitched?.push(error.entry);
  if (started !== undefined && !started.stopped) {
    run.output.info(`${because} failed: stopping ${started.role.containerName(started.version)} on ${host} before it serves`);
    await stopNew(run, started).catch(() => undefined);
    started.stopped = true;
  } else if (started === undefined) {
    run.output.info(`${because} failed: not booting ${role} on ${host}`);
  }
  return error;
}

function stopNew(run: Run, { host, role, version }: StartedContainer): Promise<unknown> {
  return run.batch(host, [{ command: appCommands.stop(run.config, role, { version }), allowFailure: true, label: "stop new version" }]);
}

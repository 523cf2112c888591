// What a deploy puts back when it fails or is interrupted before every host switched: the deploy
// stops old containers only once every host runs the new version (deferStopOld), so until then a
// host that switched can go back. For each new container that serves: the proxy is switched back
// to the old container (which kept running) and the new one is stopped; an unproxied role's new
// container is stopped (its old one kept running). No host is left running both versions, and the
// old version serves everywhere it did. A host that can't be reached is named, not waited for.
// All-or-nothing (`x-berth.atomic`, `deploy --atomic`, every `rollback`): a host where nothing
// ran before doesn't keep the new version either, and the report names what failed and what went back.
import { app as appCommands } from "../commands/index.js";
import type { Role } from "../config/index.js";
import type { Run } from "./run.js";
import { InterruptedError } from "../util/errors.js";

/** A new container the boot started on a host, and what became of it. */
export interface StartedContainer {
  readonly host: string;
  readonly role: Role;
  readonly version: string;
  /** The version of the container it replaces (as named now, after a rename), still running; undefined when none ran. */
  readonly oldVersion: string | undefined;
  /** It serves: the proxy switched to it (or, without the proxy, it is healthy). */
  serving: boolean;
  /** Its boot failed and it was stopped already. */
  stopped: boolean;
}

/** A host and role whose boot failed (its new container never served). */
export interface BootFailure {
  readonly host: string;
  readonly role: string;
}

/** All-or-nothing: a host and role that didn't switch because another failed first (first-failure.ts). */
export interface NotSwitched {
  readonly host: string;
  readonly role: string;
  /** The first failure, e.g. `web on 10.0.0.1`. */
  readonly because: string;
}

/** One new container taken out of service: back to `to` (the old container), or stopped where nothing ran before. */
export interface Reverted {
  readonly host: string;
  readonly role: string;
  readonly from: string;
  readonly to: string | undefined;
}

/** What was put back, for the final message: hosts switched back, and what couldn't be. */
export interface PutBackOutcome {
  readonly switchedBack: readonly string[];
  readonly reverted: readonly Reverted[];
  /** Sentences about hosts left as they were (unreachable, nothing to go back to, a failed step). */
  readonly notes: readonly string[];
}

export interface PutBackOptions {
  /** All-or-nothing: also stop the new containers of hosts where nothing ran before. */
  readonly atomic?: boolean;
}

export async function putBack(run: Run, started: readonly StartedContainer[], options: PutBackOptions = {}): Promise<PutBackOutcome> {
  const pending = started.filter((entry) => entry.serving && !entry.stopped);
  const switchedBack = new Set<string>();
  const reverted: Reverted[] = [];
  const notes: string[] = [];
  if (pending.length === 0) return { switchedBack: [], reverted, notes };
  run.say("Putting back the version that ran before...", "yellow");
  const hosts = [...new Set(pending.map((entry) => entry.host))];
  await Promise.all(
    hosts.map(async (host) => {
      for (const entry of pending.filter((candidate) => candidate.host === host)) {
        const container = entry.role.containerName(entry.version);
        const lost = run.reachability.failure(host);
        if (lost !== undefined) {
          notes.push(`${container} may still serve on ${host}, which can't be reached`);
          continue;
        }
        if (entry.oldVersion === undefined && !options.atomic) {
          notes.push(`${container} stays on ${host}: nothing ran there before`);
          continue;
        }
        try {
          await switchBack(run, entry, entry.oldVersion);
          entry.stopped = true;
          switchedBack.add(host);
          reverted.push({ host, role: entry.role.name, from: container, to: entry.oldVersion === undefined ? undefined : entry.role.containerName(entry.oldVersion) });
        } catch (error) {
          notes.push(`${container} could not be put back on ${host}: ${(error as Error).message.split("\n")[0]}`);
        }
      }
    }),
  );
  return { switchedBack: hosts.filter((host) => switchedBack.has(host)), reverted, notes };
}

/**
 * The report of a failed all-or-nothing deploy or rollback: which hosts and roles failed, which
 * didn't switch because of it, what went back where, and what couldn't (the notes).
 */
export function failureReport(what: string, failures: readonly BootFailure[], outcome: PutBackOutcome | undefined, notSwitched: readonly NotSwitched[] = []): string[] {
  const failed = failures.length === 0 ? "a step before the switch" : failures.map((failure) => `${failure.role} on ${failure.host}`).join(", ");
  const lines = [`${what} failed: ${failed}.`];
  for (const entry of notSwitched) lines.push(`Not switched: ${entry.role} on ${entry.host} (${entry.because} failed)`);
  const reverted = outcome?.reverted ?? [];
  if (reverted.length === 0) lines.push("No host had switched to it: every host runs what it ran before.");
  for (const entry of reverted) {
    lines.push(entry.to === undefined ? `Reverted ${entry.role} on ${entry.host}: ${entry.from} stopped (nothing ran there before)` : `Reverted ${entry.role} on ${entry.host}: ${entry.from} -> ${entry.to}`);
  }
  for (const note of outcome?.notes ?? []) lines.push(`Not reverted: ${note}`);
  return lines;
}

/** The proxy back to the old container (proxied roles), then the new container stopped; with no old container, only the stop. */
async function switchBack(run: Run, entry: StartedContainer, oldVersion: string | undefined): Promise<void> {
  const { host, role } = entry;
  const config = run.config;
  if (role.runningProxy && oldVersion !== undefined) {
    const id = await run.capture(host, appCommands.containerIdForVersion(config, role, oldVersion, { onlyRunning: true }), { level: "debug" });
    if (id === "") throw new Error(`${role.containerName(oldVersion)} is not running`);
    run.output.info(`Switching ${role.name} on ${host} back to ${role.containerName(oldVersion)}`);
    await run.batch(host, [appCommands.proxy.deploy(config, role, id.split("\n")[0]!.slice(0, 12))]);
  }
  run.output.info(`Stopping ${role.containerName(entry.version)} on ${host}`);
  await run.batch(host, [{ command: appCommands.stop(config, role, { version: entry.version }), allowFailure: true, label: "stop new version" }]);
}

/** How far the deploy got, for putting things back and for the message of an interrupted deploy. */
export interface Progress {
  readonly started: StartedContainer[];
  /** Hosts and roles whose boot failed. */
  readonly failures: BootFailure[];
  /** All-or-nothing: hosts and roles that didn't switch because another failed first. */
  readonly notSwitched: NotSwitched[];
  putBack: PutBackOutcome | undefined;
  /** Every host switched; the old containers were stopped. */
  completed: boolean;
}

/** What an interrupted deploy left, truthfully: nothing started, put back, or finished. */
export function interruption(run: Run, progress: Progress): InterruptedError {
  const reason: unknown = run.interrupted.reason;
  const signal = reason instanceof InterruptedError ? reason.signal : "a signal";
  const version = run.config.version;
  const notes = progress.putBack?.notes ?? [];
  let state: string;
  if (progress.completed) state = `every host had switched to ${version} already, so the deploy was finished (old containers stopped)`;
  else if (progress.started.length === 0) state = `no container of ${version} had started; the servers run what they ran before`;
  else if ((progress.putBack?.switchedBack.length ?? 0) > 0) {
    state = `${version} had gone live on ${progress.putBack!.switchedBack.join(", ")}, which went back to the version that ran before; the new containers were stopped`;
  } else state = `the containers of ${version} that had started were stopped before they served; the servers run what they ran before`;
  return new InterruptedError(signal, `Interrupted by ${signal}: ${state}${notes.length > 0 ? `. But: ${notes.join("; ")}` : ""}`);
}

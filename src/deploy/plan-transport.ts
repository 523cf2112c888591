// The transports of a plan (`deploy --plan`): they record every operation (as its command) instead
// of running it and answer with what a first deploy on clean servers would see, so the real flow
// runs to the end. A batch is recorded as its steps. Nothing reaches the servers. Locally only
// probes run (git state, Docker's version and architecture, whether the image exists), with git's
// optional locks off so not even git's index is refreshed. The build clone in $TMPDIR/kamal-clones
// is not touched: its clone or reset is recorded, and later checks of it are answered as if it
// had been done (a clean clone at HEAD).
import { AsyncLocalStorage } from "node:async_hooks";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builder, render, type Redacted } from "../commands/index.js";
import type { Batch } from "../commands/batch.js";
import type { Operation } from "../commands/operation.js";
import { formatMode, type Upload } from "../commands/upload.js";
import { CommandFailedError, LOCAL_HOST, LocalTransport } from "../transport/index.js";
import type { RunOptions, RunResult, Transport, TransportObserver, TransportStats, UploadOptions } from "../transport/index.js";

/** One recorded command, as logs would show it (secrets redacted, stdin never shown). */
export interface PlannedCommand {
  readonly host: string;
  /** The phase (the last heading Berth printed) it belongs to. */
  readonly phase: string;
  readonly command: string;
  /** Per host, counting from 1: commands sharing a number travel in one round trip. */
  readonly roundTrip: number;
  /** Failure of this command doesn't stop the deploy. */
  readonly allowFailure: boolean;
}

export interface Reply {
  readonly code?: number;
  readonly stdout?: string;
}

/**
 * Knows the phase and collects the commands. Deploys overlap their phases (the pull runs while
 * the lock is taken), so a command belongs to the heading its own chain of calls printed last:
 * the heading is kept in async-local storage, which work started earlier doesn't see.
 */
export class PlanRecorder {
  readonly commands: PlannedCommand[] = [];
  readonly phases: string[] = [];
  readonly notes: { phase: string; message: string }[] = [];
  private readonly roundTrips = new Map<string, number>();
  private readonly heading = new AsyncLocalStorage<string>();

  phase(title: string): void {
    this.heading.enterWith(title);
    if (!this.phases.includes(title)) this.phases.push(title);
  }

  private get current(): string {
    return this.heading.getStore() ?? "Prepare";
  }

  note(message: string): void {
    if (!this.phases.includes(this.current)) this.phases.push(this.current);
    this.notes.push({ phase: this.current, message });
  }

  nextRoundTrip(host: string): number {
    const next = (this.roundTrips.get(host) ?? 0) + 1;
    this.roundTrips.set(host, next);
    return next;
  }

  record(host: string, command: string, roundTrip: number, allowFailure = false): void {
    if (!this.phases.includes(this.current)) this.phases.push(this.current);
    this.commands.push({ host, phase: this.current, command, roundTrip, allowFailure });
  }

  roundTripsOn(host: string): number {
    return this.roundTrips.get(host) ?? 0;
  }

  get hosts(): string[] {
    return [...this.roundTrips.keys()];
  }
}

/** The id a plan gives every container it "starts": 12 characters, like the ids the proxy is told. */
export const PLANNED_CONTAINER_ID = "CONTAINER_ID";

/**
 * What clean servers answer: no lock, no proxy, no app or accessory container, Docker installed,
 * every change succeeds. Containers started get PLANNED_CONTAINER_ID; new ones are healthy.
 */
export function cleanServers(command: string): Reply {
  if (/^stat \.kamal\/lock-/.test(command)) return { code: 1 };
  if (/^docker inspect kamal-proxy\b/.test(command)) return { code: 1 };
  if (/^docker run\b/.test(command) && /--detach\b/.test(command)) return { stdout: `${PLANNED_CONTAINER_ID}\n` };
  if (/xargs docker inspect --format '\{\{if \.State\.Health\}\}/.test(command)) return { stdout: "healthy\n" };
  if (/\| wc -l$/.test(command)) return { stdout: "0\n" };
  return {};
}

/** Records remote commands; nothing is sent anywhere. */
export class PlanTransport implements Transport {
  private readonly observers: TransportObserver[] = [];
  private commandsRun = 0;
  private uploads = 0;
  private bytesUploaded = 0;

  constructor(
    private readonly recorder: PlanRecorder,
    private readonly answer: (host: string, command: string) => Reply = (_host, command) => cleanServers(command),
  ) {}

  observe(observer: TransportObserver): () => void {
    this.observers.push(observer);
    return () => void this.observers.splice(this.observers.indexOf(observer), 1);
  }

  async run(host: string, command: Operation | Batch, options: RunOptions = {}): Promise<RunResult> {
    const roundTrip = this.recorder.nextRoundTrip(host);
    this.commandsRun++;
    if (command.kind !== "batch") {
      const text = render(command);
      this.recorder.record(host, describe(command), roundTrip, options.allowFailure ?? false);
      const reply = this.answer(host, text);
      const code = reply.code ?? 0;
      if (code !== 0 && !options.allowFailure) throw new CommandFailedError(host, text, code, reply.stdout ?? "", "");
      return result(host, code, reply.stdout ?? "");
    }
    // The batch's own steps, answered one by one in the output shape its script would print.
    let stdout = "";
    let stderr = "";
    for (const [index, step] of command.steps.entries()) {
      this.recorder.record(host, describe(step.command), roundTrip, step.allowFailure ?? false);
      const reply = this.answer(host, render(step.command));
      const code = reply.code ?? 0;
      stdout += `${command.marker} ${index} begin\n${reply.stdout ?? ""}\n${command.marker} ${index} end ${code}\n`;
      stderr += `${command.marker} ${index} begin\n\n${command.marker} ${index} end ${code}\n`;
      if (code !== 0 && !step.allowFailure) return { ...result(host, code, stdout), stderr };
    }
    return { ...result(host, 0, stdout), stderr };
  }

  async upload(host: string, body: Buffer | Redacted, remotePath: string, options: UploadOptions = {}): Promise<void> {
    const bytes = Buffer.isBuffer(body) ? body.length : Buffer.byteLength(body.value);
    this.uploads++;
    this.bytesUploaded += bytes;
    const owner = options.owner === undefined ? "" : `, owner ${options.owner}`;
    this.recorder.record(host, `upload ${bytes} bytes to ${remotePath} (mode ${formatMode(options.mode ?? 0o600)}${owner})`, this.recorder.nextRoundTrip(host));
  }

  async close(): Promise<void> {}

  stats(): TransportStats {
    const hosts = Object.fromEntries(this.recorder.hosts.map((host) => [host, { connectionsOpened: 0, commandsRun: this.recorder.roundTripsOn(host) }]));
    return { connectionsOpened: 0, commandsRun: this.commandsRun, uploads: this.uploads, bytesUploaded: this.bytesUploaded, hosts };
  }
}

/** What a plan does with a local command: run it, record it, and/or answer it. */
export interface LocalDecision {
  readonly run: boolean;
  readonly record: boolean;
  readonly reply?: Reply;
  /** A command on the build clone: a probe of it ("read") or one that changes it ("write"). */
  readonly clone?: "read" | "write";
}

/** What a plan's local transports (one per command) share: the build clone as the plan left it. */
export class PlanLocalState {
  cloneChanged = false;
  cloneChecked = false;
  head: Promise<string> | undefined;

  constructor(
    private readonly cwd: string,
    private readonly clones: string = join(tmpdir(), "kamal-clones"),
  ) {}

  /**
   * Whether a file exists, with the build clone as the plan left it: a clone it only recorded is a
   * checkout of HEAD, so `<clones>/<svc>-<hash>/<repo>/<path>` is looked up as `<work tree>/<path>`.
   */
  fileExists(path: string): boolean {
    const prefix = `${this.clones}/`;
    if (!this.cloneChanged || !path.startsWith(prefix)) return existsSync(path);
    const inClone = path.slice(prefix.length).split("/").slice(2).join("/");
    const root = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: this.cwd, encoding: "utf8" }).stdout?.trim() ?? "";
    return root !== "" && existsSync(join(root, inClone));
  }

  /** Changed in the plan only (a clone or reset recorded, not run), checked read-only, or untouched. */
  get clone(): "changed" | "checked" | "none" {
    return this.cloneChanged ? "changed" : this.cloneChecked ? "checked" : "none";
  }
}

/**
 * Local commands: probes run for real; everything else (clone, login, build, push, hooks) is only
 * recorded, under `localhost`. Once a change to the build clone was recorded, the clone's checks
 * are answered as a clean clone of HEAD would answer them.
 */
export class PlanLocalTransport implements Transport {
  private readonly real: LocalTransport;

  constructor(
    private readonly recorder: PlanRecorder,
    options: { cwd: string; env: NodeJS.ProcessEnv },
    /** Told the command as logs show it, and the operation it is. */
    private readonly decide: (command: string, operation: Operation) => LocalDecision,
    private readonly state: PlanLocalState = new PlanLocalState(options.cwd),
  ) {
    this.real = new LocalTransport({ cwd: options.cwd, env: { ...options.env, GIT_OPTIONAL_LOCKS: "0" } });
  }

  observe(): () => void {
    return () => undefined;
  }

  async run(host: string, command: Operation, options: RunOptions = {}): Promise<RunResult> {
    const text = render(command);
    const decision = this.decide(text, command);
    if (decision.record) this.recorder.record(LOCAL_HOST, text, this.recorder.nextRoundTrip(LOCAL_HOST), options.allowFailure ?? false);
    if (decision.clone === "write") this.state.cloneChanged = true;
    if (decision.clone === "read") this.state.cloneChecked = true;
    if (decision.clone === "read" && this.state.cloneChanged) return result(host, 0, await this.cloneAnswer(host));
    if (decision.run) return this.real.run(host, command, options);
    return result(host, decision.reply?.code ?? 0, decision.reply?.stdout ?? "");
  }

  /** What a clone check (status, `---`, revision) prints on a clean clone of HEAD. */
  private async cloneAnswer(host: string): Promise<string> {
    this.state.head ??= this.real.run(host, builder.headRevision(), { allowFailure: true }).then((head) => head.stdout.trim());
    return `---\n${await this.state.head}\n`;
  }

  async upload(): Promise<void> {
    throw new Error("a plan never uploads from this machine");
  }

  async close(): Promise<void> {}

  stats(): TransportStats {
    return { connectionsOpened: 0, commandsRun: 0, uploads: 0, bytesUploaded: 0, hosts: {} };
  }
}

/**
 * Probes run; a check of the build clone runs too (and is answered once a change to the clone was
 * recorded); the clone's own updates and the rest are recorded and succeed.
 */
export function localDecision(operation: Operation): LocalDecision {
  switch (operation.kind) {
    case "probe":
      return { run: true, record: false };
    case "clone-check":
      return { run: true, record: false, clone: "read" };
    case "clone":
      return { run: false, record: true, clone: "write" };
    default:
      return { run: false, record: true };
  }
}

/** What a plan shows for an operation: its command, or what an upload writes (its content is never shown). */
function describe(operation: Operation): string {
  return operation.kind === "upload" ? describeUpload(operation) : render(operation);
}

function describeUpload({ path, mode, owner }: Upload): string {
  return `upload to ${path} (mode ${formatMode(mode)}${owner === undefined || owner === "" ? "" : `, owner ${owner}`}, content on stdin)`;
}

function result(host: string, code: number, stdout: string): RunResult {
  return { host, code, stdout, stderr: "", durationMs: 0 };
}

// The run context: everything one `berth` command needs to act on servers, created once per
// command. It owns the SSH transport (one shared connection per host), the host/role selection
// (-h/-r/-p), the deploy lock state, who is deploying (for audit lines and hooks) and the output.
// Its cleanup (SSH masters closed) is registered with the CLI's cleanup registry, so it runs
// however the command ends, Ctrl-C included.
import { existsSync } from "node:fs";
import type { CommandContext } from "../core/context.js";
import type { GlobalOptions } from "../core/context.js";
import { iso8601, render, type Cmd, type Redacted, type TagContext } from "../commands/index.js";
import type { BatchStep, BatchStepResult } from "../commands/batch.js";
import type { Operation } from "../commands/operation.js";
import type { Configuration, Selection } from "../config/index.js";
import type { Output, SayColor } from "../output/index.js";
import type { SecretsLookup } from "../secrets/types.js";
import {
  SshTransport,
  onHosts,
  type RunResult,
  type Transport,
  type TransportStats,
} from "../transport/index.js";
import { BerthError } from "../util/errors.js";
import { sshSettings, sshkitSettings } from "./connection.js";
import { DisplayBridge } from "./display.js";
import { runHook } from "./hooks.js";
import { Reachability } from "./reachability.js";
import { runBatch, type BatchOptions } from "./run-batch.js";
import { scopedView } from "./run-view.js";
import type { ExecOptions, Identity, LocalOptions, RunInputs } from "./run-options.js";
import { isInteractive, localIdentity, processEnvironment, remoteRunOptions, runLocal } from "./run-support.js";
import { RunServices } from "./services.js";

export type { ExecOptions, Identity, LocalOptions, LocalTransportFactory, RunInputs } from "./run-options.js";

export class Run {
  readonly globals: GlobalOptions;
  readonly output: Output;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `deploy`, `app`, … as Kamal names them in hooks and audit lines. */
  readonly command: string;
  readonly subcommand: string | undefined;
  readonly startedAt = performance.now();
  readonly display: DisplayBridge;
  /** The hosts and roles this command acts on (-h/-r/-p). */
  readonly selection: Selection;
  /**
   * Whether this process holds the deploy lock. Starts true under `KAMAL_LOCK=true` (a hook or a
   * parent deploy already holds it), as Kamal's Commander#reset does.
   */
  holdingLock: boolean;
  /** Hosts found unreachable in this run: not tried again. */
  readonly reachability = new Reachability();
  /** Per-run state: the carriers beside the shell, and work done once per run. */
  readonly services: RunServices;

  private remoteTransport: Transport | undefined;
  /** The transport being made: concurrent first callers must share it, not make one each. */
  private remoteTransportMade: Promise<Transport> | undefined;
  private preConnect: Promise<void> | undefined;
  private identityPromise: Promise<Identity> | undefined;
  private readonly now: () => Date;

  private constructor(
    private readonly context: CommandContext,
    readonly config: Configuration,
    private readonly inputs: RunInputs,
  ) {
    this.globals = context.globals;
    this.output = context.output;
    this.cwd = context.cwd;
    this.env = context.env;
    this.command = context.command;
    this.subcommand = context.subcommand;
    this.display = new DisplayBridge(context.output);
    this.holdingLock = context.env.KAMAL_LOCK === "true";
    this.now = inputs.now ?? (() => new Date());
    this.selection = config.select({
      ...(this.globals.roles === undefined ? {} : { roles: this.globals.roles }),
      ...(this.globals.hosts === undefined ? {} : { hosts: this.globals.hosts }),
      primaryOnly: this.globals.primary,
    });
    if (inputs.identity) this.identityPromise = Promise.resolve(inputs.identity);
    this.services = new RunServices(this);
  }

  /** Loads the configuration and registers the run's cleanup with the CLI. */
  static async create(context: CommandContext, inputs: RunInputs = {}): Promise<Run> {
    const config = await context.config();
    const run = new Run(context, config, inputs);
    context.onExit(() => run.close());
    return run;
  }

  /** Registers cleanup that runs however the command ends; returns its unregistration. */
  onExit(handler: () => void | Promise<void>): () => void {
    return this.context.onExit(handler);
  }

  // Signals --------------------------------------------------------------------------------

  /** Aborted (reason: an InterruptedError) when Ctrl-C or SIGTERM asks the command to stop. */
  get interrupted(): AbortSignal {
    return this.context.interrupted;
  }

  /** Throws an InterruptedError when a signal asked the command to stop. */
  throwIfInterrupted(): void {
    this.context.interrupted.throwIfAborted();
  }

  /**
   * Declares that this command stops by itself at a signal, between its steps, instead of being
   * cut off by the cleanup (see CleanupRegistry.windDownOnSignals); returns the undo.
   */
  windDownOnSignals(): () => void {
    return this.context.windDownOnSignals();
  }

  // Who, when ----------------------------------------------------------------------------

  identity(): Promise<Identity> {
    this.identityPromise ??= localIdentity(this.cwd);
    return this.identityPromise;
  }

  /** Who and when, for audit lines and hook environments. */
  async tags(): Promise<TagContext> {
    return { recordedAt: iso8601(this.now()), performer: (await this.identity()).performer };
  }

  nowIso(): string {
    return iso8601(this.now());
  }

  secrets(): Promise<SecretsLookup> {
    return this.context.secrets();
  }

  // Output ---------------------------------------------------------------------------------

  say(message: string, color: SayColor = "magenta"): void {
    this.output.say(message, color);
  }

  /** Seconds since the command started. */
  get elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  // Remote commands -----------------------------------------------------------------------

  /** Runs a command on a host (the first remote command of the run triggers `pre-connect`). */
  async exec(host: string, command: Cmd, options: ExecOptions = {}): Promise<RunResult> {
    const transport = await this.remote();
    return this.reachability.guard(host, () => {
      this.display.expect(host, render(command), { level: options.level ?? "info" });
      return transport.run(host, command, remoteRunOptions(options));
    });
  }

  /**
   * Whether the host's connection was lost (after a failure that didn't come from a command, e.g.
   * a forwarded socket's): the error saying so, and the host is then unreachable for this run.
   */
  async connectionLost(host: string): Promise<Error | undefined> {
    const known = this.reachability.failure(host);
    if (known !== undefined) return known;
    const transport = await this.remoteTransportMade?.catch(() => undefined);
    const lost = await transport?.checkConnection?.(host).catch((error: unknown) => error as Error);
    if (lost !== undefined) this.reachability.markLost(host, lost);
    return lost;
  }

  /**
   * The `ssh -t` command line for an interactive command on a host (`app exec -i`), over the
   * run's shared connection, for the caller to spawn with the terminal attached.
   */
  async interactiveCommand(host: string, command: Cmd): Promise<{ command: string; args: string[] }> {
    const transport = await this.remote();
    if (!isInteractive(transport)) throw new BerthError("Interactive commands need the SSH transport");
    return transport.interactiveCommand(host, command);
  }

  /** The trimmed stdout of a command (Kamal's capture_with_info). */
  async capture(host: string, command: Cmd, options: ExecOptions = {}): Promise<string> {
    return (await this.exec(host, command, options)).stdout.trim();
  }

  /**
   * Runs several steps in one round trip. Throws for the first required step that failed, with
   * SSHKit's message naming that step; returns every step's result otherwise. Operations an open
   * carrier takes go by it (run-batch.ts).
   */
  batch(host: string, steps: readonly (Operation | BatchStep)[], options: BatchOptions = {}): Promise<BatchStepResult[]> {
    const context = { remote: () => this.remote(), reachability: this.reachability, display: this.display, carrierFor: (target: string, operation: Operation) => this.services.carrierFor(target, operation) };
    return runBatch(context, host, steps, options);
  }

  async upload(host: string, body: Buffer | Redacted, remotePath: string, options: { mode?: number; owner?: string } = {}): Promise<void> {
    const transport = await this.remote();
    await this.reachability.guard(host, () => transport.upload(host, body, remotePath, options));
  }

  /** Whether the transport can forward sockets (SSH can; --plan's can't). */
  async forwardsSockets(): Promise<boolean> {
    return (await this.remote()).forwardUnixSocket !== undefined;
  }

  /** A local socket forwarded to `remotePath` on the host, or undefined where the transport has none. */
  async forwardSocket(host: string, remotePath: string): Promise<string | undefined> {
    const transport = await this.remote();
    return this.reachability.guard(host, async () => transport.forwardUnixSocket?.(host, remotePath));
  }

  /** Whether the transport can forward a port on the hosts to this machine (SSH can; --plan's can't). */
  async forwardsPorts(): Promise<boolean> {
    return (await this.remote()).forwardRemotePort !== undefined;
  }

  /** The host's loopback `remotePort` forwarded to a local unix socket for the rest of the run. */
  async forwardPortHere(host: string, remotePort: number, localSocket: string): Promise<void> {
    const transport = await this.remote();
    const forward = transport.forwardRemotePort?.bind(transport);
    if (forward === undefined) throw new BerthError("This transport can't forward ports from the hosts");
    await this.reachability.guard(host, () => forward(host, remotePort, localSocket));
  }

  /**
   * Opens the connections to `hosts` in the background, so that hosts whose first command comes
   * later (after the lock, say) don't wait for their SSH handshake then. Failures surface there.
   */
  async warmUp(hosts: readonly string[]): Promise<void> {
    void this.remote().then(
      (transport) => Promise.all(hosts.map((host) => transport.connect?.(host))),
      () => undefined, // the first real command reports it
    );
    // Resolves once the connections are under way: the ssh processes start before the caller's
    // local work (docker, git) takes the CPU, and the handshakes go on beside it.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Work on many hosts at once; every host finishes, failures are reported together (Kamal's `on`). */
  on<T>(hosts: readonly string[], work: (host: string) => Promise<T>, options: { concurrency?: number } = {}): Promise<T[]> {
    return onHosts(hosts, work, options);
  }

  // Local commands ------------------------------------------------------------------------

  /** Whether a file exists on this machine. */
  fileExists(path: string): boolean {
    return (this.inputs.fileExists ?? existsSync)(path);
  }

  /** Runs a command on this machine (builds, registry login, hooks). */
  local(command: Cmd, options: LocalOptions = {}): Promise<RunResult> {
    return runLocal({ cwd: this.cwd, env: this.env, display: this.display, factory: this.inputs.local }, command, options);
  }

  /** Whether this run only records what it would run (--plan). */
  get planning(): boolean {
    return this.inputs.planning === true;
  }

  /** Whether local commands run as this machine's processes (not a test's or a plan's stand-ins). */
  get localIsReal(): boolean {
    return this.inputs.local === undefined;
  }

  // Connections ---------------------------------------------------------------------------

  /** Runs the `pre-connect` hook once, before the first SSH connection (or before a build). */
  beforeFirstConnection(): Promise<void> {
    this.preConnect ??= runHook(this, "pre-connect", { secrets: true });
    return this.preConnect;
  }

  private async remote(): Promise<Transport> {
    this.remoteTransportMade ??= (async () => {
      await this.beforeFirstConnection();
      const transport = this.inputs.remote ? this.inputs.remote(this.display) : await this.sshTransport();
      this.remoteTransport = transport;
      return transport;
    })();
    return this.remoteTransportMade;
  }

  private async sshTransport(): Promise<Transport> {
    // key_data names secrets: only then are the secrets read for the connection.
    if (this.config.ssh.keyDataEntries !== undefined) await this.secrets();
    return new SshTransport({
      ssh: sshSettings(this.config.ssh),
      sshkit: sshkitSettings(this.config.sshkit),
      observers: [this.display],
      env: processEnvironment(this.env),
    });
  }

  /**
   * This run acting on `hosts` only, and with `config` (another version's, say) in place of its
   * own: Kamal's `with_specific_hosts` and `using_version` (run-view.ts).
   */
  scoped({ hosts, config = this.config }: { hosts: readonly string[]; config?: Configuration }): Run {
    return scopedView(this, hosts, config);
  }

  /** Connections opened and commands run on the servers so far. */
  stats(): TransportStats {
    return this.remoteTransport?.stats() ?? { connectionsOpened: 0, commandsRun: 0, uploads: 0, bytesUploaded: 0, hosts: {} };
  }

  async close(): Promise<void> {
    const transport = await this.remoteTransportMade?.catch(() => undefined);
    this.remoteTransport = undefined;
    this.remoteTransportMade = undefined;
    await transport?.close();
    // After the connections (and their forwards): the registries serve until then.
    await this.services.close();
  }
}



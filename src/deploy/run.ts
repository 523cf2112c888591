// The run context: everything one `berth` command needs to act on servers, created once per
// command. It owns the SSH transport (one shared connection per host), the host/role selection
// (-h/-r/-p), the deploy lock state, who is deploying (for audit lines and hooks) and the output.
// Its cleanup (SSH masters closed) is registered with the CLI's cleanup registry, so it runs
// however the command ends, Ctrl-C included.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import type { CommandContext } from "../cli/context.js";
import type { GlobalOptions } from "../cli/globals.js";
import { batching, iso8601, render, type Cmd, type Redacted, type TagContext } from "../commands/index.js";
import type { BatchStep, BatchStepResult } from "../commands/batch.js";
import type { Configuration, Selection } from "../config/index.js";
import type { Level, Output, SayColor } from "../output/index.js";
import type { SecretsLookup } from "../secrets/types.js";
import {
  CommandFailedError,
  LocalTransport,
  SshTransport,
  onHosts,
  sshSettingsFromKamal,
  sshkitSettingsFromKamal,
  type KamalSshConfig,
  type KamalSshkitConfig,
  type RunResult,
  type Transport,
  type TransportStats,
} from "../transport/index.js";
import { BerthError } from "../util/errors.js";
import { DisplayBridge } from "./display.js";
import { dockerApiOf, runApiStep } from "./docker-api.js";
import { Reachability } from "./reachability.js";

/** How local commands are run (replaced in tests). */
export type LocalTransportFactory = (options: { cwd: string; env: NodeJS.ProcessEnv; display: DisplayBridge }) => Transport;

export interface RunInputs {
  /** Replaces the SSH transport (tests). It must report its events to `display`. */
  readonly remote?: (display: DisplayBridge) => Transport;
  readonly local?: LocalTransportFactory;
  /** Overrides the clock (tests). */
  readonly now?: () => Date;
  /** Who deploys, instead of asking git (tests). */
  readonly identity?: Identity;
  /** Whether a local file exists (a plan answers for the build clone it did not make). */
  readonly fileExists?: (path: string) => boolean;
}

export interface Identity {
  /** `git config user.email`, else the login name (Kamal's performer). */
  readonly performer: string;
  /** `git config user.name`, else "Unknown" (Kamal's "Locked by"). */
  readonly userName: string;
}

export interface ExecOptions {
  readonly level?: Level;
  readonly allowFailure?: boolean;
  readonly timeoutMs?: number;
  readonly stdin?: Buffer | Redacted;
  /** Keep stdout's exact bytes in `RunResult.stdoutBytes` (`exec --raw`). */
  readonly raw?: boolean;
  /** Output as it arrives (followed logs, `--raw` piping). */
  readonly onStdout?: (chunk: string) => void;
  readonly onStdoutBytes?: (chunk: Buffer) => void;
  /** Run it with the user's login shell (a command line the user typed, e.g. `server exec`). */
  readonly loginShell?: boolean;
}

export interface LocalOptions extends ExecOptions {
  /** Added to the environment of the process (builder secrets, hook metadata). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Shown in output instead of the command (the hook's path). */
  readonly shown?: string;
  /** Stops the command when aborted (see RunOptions.signal). */
  readonly signal?: AbortSignal;
  /** Its processes end with Berth's, even when Berth is killed (builds and pushes). */
  readonly dieWithParent?: boolean;
}

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
    this.identityPromise ??= Promise.all([git(this.cwd, ["config", "user.email"]), git(this.cwd, ["config", "user.name"])]).then(
      ([email, name]) => ({ performer: email || loginName(), userName: name || "Unknown" }),
    );
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
      return transport.run(host, command, {
        ...(options.allowFailure ? { allowFailure: true } : {}),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        ...(options.loginShell ? { loginShell: true } : {}),
        ...streaming(options),
      });
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
   * SSHKit's message naming that step; returns every step's result otherwise. Where the run has
   * the host's Docker API open, steps that carry API requests go by the API instead.
   */
  async batch(
    host: string,
    steps: readonly (Cmd | BatchStep)[],
    options: { level?: Level; loginShell?: boolean } = {},
  ): Promise<BatchStepResult[]> {
    if (steps.length === 0) return [];
    const normalized = steps.map((step): BatchStep => ("parts" in step ? { command: step } : step));
    const api = normalized.some((step) => step.api !== undefined) ? await dockerApiOf(this, host) : undefined;
    if (api === undefined) return this.shellBatch(host, normalized, options);
    // Steps with Docker API requests go by the API, the others in shell batches between them.
    const results: BatchStepResult[] = [];
    for (let index = 0; index < normalized.length; ) {
      const step = normalized[index]!;
      if (step.api !== undefined) {
        const outcome = await runApiStep(this, host, step, api, options.level ?? "info");
        results.push({ index, label: step.label, ran: true, ...outcome });
        if (outcome.code !== 0 && !step.allowFailure) throw new CommandFailedError(host, render(step.command), outcome.code, outcome.stdout, outcome.stderr);
        index++;
        continue;
      }
      let end = index;
      while (end < normalized.length && normalized[end]!.api === undefined) end++;
      const offset = index;
      results.push(...(await this.shellBatch(host, normalized.slice(index, end), options)).map((result) => ({ ...result, index: result.index + offset })));
      index = end;
    }
    return results;
  }

  private async shellBatch(host: string, steps: readonly BatchStep[], options: { level?: Level; loginShell?: boolean }): Promise<BatchStepResult[]> {
    const batch = batching.batch(steps, { nonce: randomBytes(8).toString("hex") });
    const transport = await this.remote();
    const shown = batch.steps.map((step) => render(step.command)).join(" ; ");
    const result = await this.reachability.guard(host, () => {
      this.display.expect(host, render(batch.command), { level: options.level ?? "info", shown, hideLinesWith: batch.marker });
      return transport.run(host, batch.command, { allowFailure: true, ...(options.loginShell ? { loginShell: true } : {}) });
    });
    const results = batching.parseBatch(batch, result);
    const failure = batching.firstFailure(results, batch);
    if (failure !== undefined) {
      const step = batch.steps[failure.index]!;
      throw new CommandFailedError(host, render(step.command), failure.code ?? result.code, failure.stdout, failure.stderr);
    }
    if (result.code !== 0) {
      throw new CommandFailedError(host, shown, result.code, result.stdout, result.stderr);
    }
    return results;
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
  async local(command: Cmd, options: LocalOptions = {}): Promise<RunResult> {
    const env: NodeJS.ProcessEnv = { ...processEnvironment(this.env), ...(options.env ?? {}) };
    const factory = this.inputs.local ?? defaultLocal;
    const transport = factory({ cwd: options.cwd ?? this.cwd, env, display: this.display });
    const text = render(command);
    this.display.expect("localhost", text, { level: options.level ?? "info", ...(options.shown === undefined ? {} : { shown: options.shown }) });
    return transport.run("localhost", command, {
      ...(options.allowFailure ? { allowFailure: true } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.dieWithParent ? { dieWithParent: true } : {}),
    });
  }

  // Connections ---------------------------------------------------------------------------

  /** Runs the `pre-connect` hook once, before the first SSH connection (or before a build). */
  beforeFirstConnection(): Promise<void> {
    this.preConnect ??= import("./hooks.js").then(({ runHook }) => runHook(this, "pre-connect", { secrets: true }));
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
    const raw = (this.config.raw.ssh ?? {}) as KamalSshConfig;
    // key_data names secrets: only then are the secrets read for the connection.
    const secrets = raw.key_data !== undefined ? await this.secrets() : undefined;
    return new SshTransport({
      ssh: sshSettingsFromKamal(raw, secrets, { cwd: this.cwd }),
      sshkit: sshkitSettingsFromKamal((this.config.raw.sshkit ?? {}) as KamalSshkitConfig),
      observers: [this.display],
      env: processEnvironment(this.env),
    });
  }

  /**
   * This run acting on `hosts` only, and with `config` (another version's, say) in place of its
   * own: Kamal's `with_specific_hosts` and `using_version`. It shares the connections, the lock,
   * the output and who deploys with this run; what it selects is what `-h <hosts>` would.
   */
  scoped({ hosts, config = this.config }: { hosts: readonly string[]; config?: Configuration }): Run {
    const selection = config.select({ ...(this.globals.roles === undefined ? {} : { roles: this.globals.roles }), hosts });
    const view = Object.create(this) as Run;
    // State that changes during the run stays this run's: the view reads and writes it here.
    const state = this as unknown as Record<string, unknown>;
    const shared = (key: string): PropertyDescriptor => ({ get: () => state[key], set: (value: unknown) => (state[key] = value) });
    Object.defineProperties(view, {
      config: { value: config },
      selection: { value: selection },
      globals: { value: { ...this.globals, hosts: [...hosts] } },
      holdingLock: shared("holdingLock"),
      remoteTransport: shared("remoteTransport"),
      remoteTransportMade: shared("remoteTransportMade"),
      preConnect: shared("preConnect"),
      identityPromise: shared("identityPromise"),
    });
    return view;
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
  }
}

function streaming(options: ExecOptions): Pick<ExecOptions, "raw" | "onStdout" | "onStdoutBytes"> {
  return {
    ...(options.raw ? { raw: true } : {}),
    ...(options.onStdout === undefined ? {} : { onStdout: options.onStdout }),
    ...(options.onStdoutBytes === undefined ? {} : { onStdoutBytes: options.onStdoutBytes }),
  };
}

interface InteractiveTransport extends Transport {
  interactiveCommand(host: string, command: Cmd): Promise<{ command: string; args: string[] }>;
}

function isInteractive(transport: Transport): transport is InteractiveTransport {
  return typeof (transport as Partial<InteractiveTransport>).interactiveCommand === "function";
}

/** A BerthError for a refused or impossible request, worded for the user. */
export function fail(message: string, kind = "Berth::Error"): never {
  throw new BerthError(message, kind);
}

function defaultLocal({ cwd, env, display }: { cwd: string; env: NodeJS.ProcessEnv; display: DisplayBridge }): Transport {
  return new LocalTransport({ cwd, env, observers: [display] });
}

/** The environment for child processes: the CLI's (which is process.env outside tests). */
function processEnvironment(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  // Tests pass a bare environment: keep PATH and HOME so ssh, git and docker are found.
  result.PATH ??= process.env.PATH;
  result.HOME ??= process.env.HOME;
  return result;
}

function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd, encoding: "utf8" }, (error, stdout) => resolve(error ? "" : stdout.trim()));
  });
}

function loginName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

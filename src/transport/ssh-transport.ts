// Remote commands through the user's own OpenSSH, one shared connection (ControlMaster) per host
// per run: the first use of a host opens it (`ssh -MNf`), every command reuses it, close() ends
// them all (`ssh -O exit`). The user's ssh config, agents, ProxyJump, certificates and known_hosts
// apply as they do for `ssh` itself; deploy.yml's `ssh:` settings are added on top.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import { render, hasRedactedParts, type Cmd, type Redacted } from "../core/cmd.js";
import { DEFAULT_SSH_PORT, DEFAULT_SSH_USER, DEFAULT_SSHKIT_DNS_RETRIES, DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS } from "../config/defaults.js";
import { BerthError } from "../util/errors.js";
import { PrivateAgent } from "./agent.js";
import { runChild, type ChildOutcome, type ChildRequest } from "./child.js";
import { RemoteForwardRefused, SshConnectionError, type SshFailureReason } from "./errors.js";
import { parseHost, type ParsedHost } from "./host.js";
import { Observers, StatsCounter } from "./observers.js";
import { runObserved } from "./observed-run.js";
import { MAX_SHELL_STDIN_BYTES, REMOTE_SHELL_COMMAND, RemoteShell } from "./remote-shell.js";
import { shellText, stdinBytes } from "./shell-text.js";
import { classifySshFailure, type FailureContext } from "./ssh-failure.js";
import { muxRequest, type MuxRequest } from "./ssh-mux.js";
import {
  sshCommandArgs,
  sshConfigFileContent,
  sshControlArgs,
  sshForwardArgs,
  sshRemoteForwardArgs,
  sshMasterArgs,
  sshMasterCommandArgs,
  sshOptionArgs,
  type SshInvocation,
} from "./ssh-args.js";
import { sshLogLevel, type SshSettings, type SshkitSettings } from "./ssh-settings.js";
import { describeUpload, upload } from "../commands/upload.js";
import type { CommandKind, RunOptions, RunResult, Transport, TransportObserver, TransportStats, UploadOptions } from "./types.js";

export interface SshTransportOptions {
  ssh?: SshSettings;
  sshkit?: SshkitSettings;
  /** Bound on reaching a host (TCP connect and SSH banner), in seconds. Default 15. */
  connectTimeoutSeconds?: number;
  /** Never prompt for passwords or passphrases. Default: when standard input is not a terminal. */
  batchMode?: boolean;
  /**
   * Commands in flight per host over its one connection. sshd refuses sessions beyond its
   * MaxSessions (10 by default), so the default stays under it: 8.
   */
  maxSessionsPerHost?: number;
  observers?: readonly TransportObserver[];
  /** Environment of the ssh processes (SSH_AUTH_SOCK, HOME ...). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /**
   * Run commands in remote shells kept open on the shared connection (see remote-shell.ts)
   * instead of one ssh process and session each. Default true.
   */
  persistentShells?: boolean;
}

const DEFAULT_CONNECT_TIMEOUT_SECONDS = 15;
const DEFAULT_CONTROL_PERSIST_SECONDS = 60;
const DEFAULT_SESSIONS_PER_HOST = 8;
/** Time allowed after connecting for authentication (an agent may ask its user to approve). */
const AUTH_GRACE_MS = 60_000;
/** Check an idle master this long before ControlPersist would have closed it. */
const IDLE_CHECK_MARGIN_MS = 2000;

interface HostState {
  parsed: ParsedHost;
  index: number;
  /** Resolves once the shared connection is open; cleared after a failure so the next use retries. */
  ready?: Promise<SshInvocation>;
  invocation?: SshInvocation;
  /** Read on the first failure (failureContext). */
  context?: Promise<FailureContext>;
  sessions: LimitFunction;
  /** Commands in flight and when the last one ended: an idle master exits after ControlPersist. */
  running: number;
  idleSince: number;
  rechecking?: Promise<void>;
  /** A failure of `connect`, kept for the host's next use to report (instead of connecting again). */
  connectFailure?: unknown;
  /** Remote shells open on the shared connection, at most one per session in flight. */
  shells: RemoteShell[];
  /** Remote unix socket → the local socket forwarded to it over the shared connection. */
  forwards: Map<string, Promise<string>>;
  /** Loopback ports on the host forwarded to local unix sockets: set up again on a new connection. */
  remoteForwards: Map<number, string>;
}

/** One command, its own standard input and how it must run. */
interface RemoteCommand {
  kind: CommandKind;
  shown: string;
  command: Cmd;
  stdin: Buffer | undefined;
  /** Needs the user's login shell (a user's own command line, e.g. `server exec`). */
  loginShell: boolean;
}

export class SshTransport implements Transport {
  private readonly settings: SshSettings;
  private readonly sshkit: SshkitSettings;
  private readonly connectTimeoutSeconds: number;
  private readonly batchMode: boolean;
  private readonly sessionsPerHost: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly persistentShells: boolean;
  private readonly observers: Observers;
  private readonly counters = new StatsCounter();
  private readonly starts: LimitFunction;
  private readonly hosts = new Map<string, HostState>();
  private privateDir?: string;
  private agent?: Promise<PrivateAgent | undefined>;

  constructor(options: SshTransportOptions = {}) {
    this.settings = options.ssh ?? {};
    if (this.settings.logLevel !== undefined) sshLogLevel(this.settings.logLevel); // an unknown level is refused now, not at the first connection
    this.sshkit = options.sshkit ?? {};
    this.connectTimeoutSeconds = options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS;
    this.batchMode = options.batchMode ?? !process.stdin.isTTY;
    this.sessionsPerHost = options.maxSessionsPerHost ?? DEFAULT_SESSIONS_PER_HOST;
    this.env = options.env ?? process.env;
    this.persistentShells = options.persistentShells ?? true;
    this.observers = new Observers(options.observers);
    this.starts = pLimit(this.sshkit.maxConcurrentStarts ?? DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS);
  }

  observe(observer: TransportObserver): () => void {
    return this.observers.add(observer);
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  /**
   * Opens the host's shared connection (and a remote shell on it) now, ahead of its first command.
   * A failure isn't thrown here: the host's next use reports it (once, without a second attempt).
   */
  async connect(host: string): Promise<void> {
    const state = this.state(host);
    const invocation = await this.ready(state).catch((error: unknown) => {
      state.connectFailure = error;
    });
    // The first remote shell too: its session opens while the caller still works locally.
    if (invocation !== undefined && this.persistentShells && state.shells.length === 0) this.shell(state, invocation);
  }

  async run(host: string, command: Cmd, options: RunOptions = {}): Promise<RunResult> {
    const stdin = stdinBytes(options.stdin ?? command.stdin);
    return this.execute(host, { kind: "command", shown: render(command), command, stdin, loginShell: options.loginShell === true }, options);
  }

  async upload(host: string, body: Buffer | Redacted, remotePath: string, options: UploadOptions = {}): Promise<void> {
    const bytes = stdinBytes(body) ?? Buffer.alloc(0);
    const command = upload(remotePath, bytes, options);
    await this.execute(host, { kind: "upload", shown: describeUpload(command), command, stdin: bytes, loginShell: false }, {});
    this.counters.uploaded(bytes.length);
  }

  /**
   * The ssh command line for an interactive command (`app exec -i`) over the host's shared
   * connection, for the caller to spawn with the terminal attached.
   */
  async interactiveCommand(host: string, command: Cmd): Promise<{ command: string; args: string[] }> {
    if (hasRedactedParts(command) || command.stdin !== undefined) {
      throw new BerthError("An interactive command cannot carry secrets or standard input");
    }
    const invocation = await this.ready(this.state(host));
    return { command: "ssh", args: sshCommandArgs(invocation, render(command, { redact: false }), { tty: true }) };
  }

  /**
   * A local unix socket (in this run's private directory) forwarded to `remotePath` on the host
   * over its shared connection (`ssh -O forward -L`), e.g. to talk to the proxy's control socket.
   * The forward is set up once per path; whether the remote end answers shows at the first connect.
   */
  forwardUnixSocket(host: string, remotePath: string): Promise<string> {
    const state = this.state(host);
    let forward = state.forwards.get(remotePath);
    if (forward === undefined) {
      forward = (async () => {
        const invocation = await this.liveConnection(state);
        const local = join(this.ensurePrivateDir(), `${state.index}-${state.forwards.size}.sock`);
        const result = await this.control(invocation, { kind: "forward", localSocket: local, remoteSocket: remotePath });
        if (result.code !== 0) throw new BerthError(`Cannot forward ${remotePath} on ${host}: ${result.stderr.trim() || `ssh exited ${result.code}`}`);
        return local;
      })();
      forward.catch(() => state.forwards.delete(remotePath));
      state.forwards.set(remotePath, forward);
    }
    return forward;
  }

  /**
   * The host's loopback port forwarded to a local unix socket over its shared connection
   * (`ssh -O forward -R`). A connection opened again later (after ControlPersist idled the first
   * one out) gets the forward again before its first command.
   */
  async forwardRemotePort(host: string, remotePort: number, localSocket: string): Promise<void> {
    const state = this.state(host);
    const invocation = await this.liveConnection(state);
    await this.requestRemoteForward(state, invocation, remotePort, localSocket);
    state.remoteForwards.set(remotePort, localSocket);
  }

  private async requestRemoteForward(state: HostState, invocation: SshInvocation, remotePort: number, localSocket: string): Promise<void> {
    const result = await this.ssh(sshRemoteForwardArgs(invocation, remotePort, localSocket));
    if (result.code !== 0) {
      const message = result.stderr.split("\n").filter((line) => line.trim() !== "" && !/^muxclient: master forward request failed/.test(line)).join(" ").trim();
      throw new RemoteForwardRefused(state.parsed.original, remotePort, message.replace(/^mux_client_forward: forwarding request failed: /, "") || `ssh exited ${result.code}`);
    }
  }

  /** A new connection gets the forwards the host had; when one can't be had, the connection is closed again. */
  private async restoreRemoteForwards(state: HostState, invocation: SshInvocation): Promise<void> {
    try {
      for (const [port, socket] of state.remoteForwards) await this.requestRemoteForward(state, invocation, port, socket);
    } catch (error) {
      await this.ssh(sshControlArgs(invocation, "exit")).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Whether the host's shared connection still works (`ssh -O check`): undefined when it does (or
   * none is open), else the error saying it was lost. After a failure outside the commands (a
   * forwarded socket reset, say), this tells a lost host from a failing request.
   */
  async checkConnection(host: string): Promise<Error | undefined> {
    const state = this.state(host);
    const opening = state.ready;
    const invocation = opening === undefined ? undefined : await opening.catch(() => undefined);
    if (invocation === undefined) return undefined;
    const check = await this.ssh(sshControlArgs(invocation, "check"));
    if (check.code === 0) return undefined;
    if (state.ready === opening) state.ready = undefined; // reconnect on next use
    // ssh's words here are about the control socket, not the host: say what happened instead.
    return new SshConnectionError(host, "connection-lost", `The SSH connection to ${host} was lost: the host stopped answering, or closed it`, check.stderr.trim());
  }

  async close(): Promise<void> {
    const open = [...this.hosts.values()].filter((state) => state.ready !== undefined);
    for (const state of this.hosts.values()) {
      for (const shell of state.shells) shell.close();
      state.shells = [];
      state.forwards.clear();
    }
    await Promise.all(
      open.map(async (state) => {
        const invocation = await state.ready!.catch(() => undefined);
        state.ready = undefined;
        if (invocation) await this.control(invocation, { kind: "exit" }).catch(() => undefined);
      }),
    );
    const agent = await this.agent?.catch(() => undefined);
    this.agent = undefined;
    await agent?.stop();
    if (this.privateDir) rmSync(this.privateDir, { recursive: true, force: true });
    this.privateDir = undefined;
  }

  private execute(host: string, remote: RemoteCommand, options: RunOptions): Promise<RunResult> {
    const state = this.state(host);
    return runObserved(this.observers, this.counters, {
      host,
      kind: remote.kind,
      shown: remote.shown,
      options,
      start: async (hooks) => {
        const invocation = await this.liveConnection(state);
        state.running++;
        try {
          return await state.sessions(() => {
            if (this.usesShell(remote)) return this.shell(state, invocation).run(render(remote.command, { redact: false }), remote.stdin, hooks);
            // Its own ssh: the text goes to the login shell (on stdin when it holds secrets).
            const { text, stdin } = shellText(remote.command, remote.stdin);
            return this.ssh(sshCommandArgs(invocation, text), { ownGroup: true, ...(stdin === undefined ? {} : { stdin }), ...hooks });
          });
        } finally {
          state.running--;
          state.idleSince = performance.now();
        }
      },
      connectionError: async (outcome) =>
        outcome.code === 255 && outcome.statusFromCommand !== true ? this.connectionFailure(state, outcome) : undefined,
    });
  }

  private usesShell(remote: RemoteCommand): boolean {
    return this.persistentShells && !remote.loginShell && (remote.stdin?.length ?? 0) <= MAX_SHELL_STDIN_BYTES;
  }

  /** A free remote shell on the host's connection, opened if none is (sessions in flight are bounded). */
  private shell(state: HostState, invocation: SshInvocation): RemoteShell {
    state.shells = state.shells.filter((shell) => !shell.ended);
    const free = state.shells.find((shell) => shell.idle);
    if (free) return free;
    // Idle shells end after ControlPersist seconds, so the master can then idle out as before.
    const shell = new RemoteShell("ssh", sshCommandArgs(invocation, REMOTE_SHELL_COMMAND), this.env, invocation.controlPersistSeconds * 1000);
    state.shells.push(shell);
    return shell;
  }

  /** Exit 255 is ssh's own failure or the command's exit status: the shared connection tells which. */
  private async connectionFailure(state: HostState, outcome: ChildOutcome): Promise<SshConnectionError | undefined> {
    const invocation = state.invocation!;
    const context = await this.failureContext(state, invocation);
    const host = state.parsed.original;
    if (/mux_client|Session open refused|Control socket connect/.test(outcome.stderr)) {
      return classifySshFailure(outcome.stderr, context) ?? unexplained(host, "other", `SSH session to ${host} failed`, outcome.stderr);
    }
    const check = await this.control(invocation, { kind: "check" });
    if (check.code === 0) return undefined; // connection alive: the command itself exited 255
    state.ready = undefined; // reconnect on next use
    return (
      classifySshFailure(outcome.stderr, context) ??
      unexplained(host, "connection-lost", `The SSH connection to ${host} was lost`, outcome.stderr)
    );
  }

  /**
   * The host's connection, reopened explicitly (and counted) when it may have closed itself after
   * ControlPersist idle seconds, e.g. during a long build; otherwise the next command's ssh would
   * silently become a new master.
   */
  private async liveConnection(state: HostState): Promise<SshInvocation> {
    const invocation = await this.ready(state);
    const idleMs = performance.now() - state.idleSince;
    if (state.running > 0 || idleMs < invocation.controlPersistSeconds * 1000 - IDLE_CHECK_MARGIN_MS) return invocation;
    state.rechecking ??= this.control(invocation, { kind: "check" })
      .then((check) => {
        if (check.code !== 0) state.ready = undefined;
        else state.idleSince = performance.now();
      })
      .finally(() => (state.rechecking = undefined));
    await state.rechecking;
    return this.ready(state);
  }

  private state(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) {
      state = { parsed: parseHost(host), index: this.hosts.size, sessions: pLimit(this.sessionsPerHost), running: 0, idleSince: 0, shells: [], forwards: new Map(), remoteForwards: new Map() };
      this.hosts.set(host, state);
    }
    return state;
  }

  private ready(state: HostState): Promise<SshInvocation> {
    if (state.connectFailure !== undefined) {
      const failure = state.connectFailure;
      state.connectFailure = undefined;
      return Promise.reject(failure);
    }
    if (!state.ready) {
      const opening = this.starts(() => this.openConnection(state));
      state.ready = opening;
      opening.catch(() => {
        if (state.ready === opening) state.ready = undefined;
      });
    }
    return state.ready;
  }

  private async openConnection(state: HostState): Promise<SshInvocation> {
    const started = performance.now();
    const host = state.parsed.original;
    try {
      const invocation = await this.resolveInvocation(state);
      const retries = this.sshkit.dnsRetries ?? DEFAULT_SSHKIT_DNS_RETRIES;
      for (let attempt = 0; ; attempt++) {
        const outcome = this.opensWithShell()
          ? await this.openMasterWithShell(state, invocation)
          : await this.ssh(sshMasterArgs(invocation), {
              settleOnExit: true,
              // A time limit detaches ssh from the terminal, so only when it may not prompt anyway.
              ...(this.batchMode ? { timeoutMs: this.connectTimeoutSeconds * 1000 + AUTH_GRACE_MS } : {}),
            });
        if (outcome.code === 0) break;
        const context = { ...(await this.failureContext(state, invocation)), attempts: attempt + 1 };
        const failure =
          classifySshFailure(outcome.timedOut ? "Connection timed out" : outcome.stderr, context) ??
          unexplained(host, "other", `SSH to ${host} failed (exit ${outcome.code})`, outcome.stderr);
        if (failure.reason === "dns" && attempt < retries) {
          await backoff(attempt);
          continue;
        }
        throw failure;
      }
      await this.restoreRemoteForwards(state, invocation);
      state.idleSince = performance.now();
      this.counters.connectionOpened(host);
      this.observers.emit("connectionOpened", { host, durationMs: performance.now() - started });
      return invocation;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.observers.emit("connectionFailed", { host, durationMs: performance.now() - started, message });
      throw error;
    }
  }

  /**
   * The master and the host's first remote shell from one ssh process (sshMasterCommandArgs)
   * rather than `ssh -MNf` and then the shell's own ssh: on a fleet, each ssh process costs this
   * process a fork and the client an exec, a few ms of CPU per host. The shell runs detached from
   * the terminal, so only where ssh may not prompt anyway (batch mode).
   */
  private opensWithShell(): boolean {
    return this.persistentShells && this.batchMode;
  }

  /** Opens the connection with its first shell; settles like `ssh -MNf` (exit 0 once usable). */
  private async openMasterWithShell(state: HostState, invocation: SshInvocation): Promise<ChildOutcome> {
    const shell = new RemoteShell("ssh", sshMasterCommandArgs(invocation, REMOTE_SHELL_COMMAND), this.env, invocation.controlPersistSeconds * 1000);
    // The first command's answer says the connection, the session and the shell all work.
    const ready = await shell.run(":", undefined, { timeoutMs: this.connectTimeoutSeconds * 1000 + AUTH_GRACE_MS });
    if (ready.code === 0 && ready.statusFromCommand === true) {
      state.shells.push(shell);
      return ready;
    }
    if ((shell.startError as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
      throw new BerthError("Cannot run ssh: no `ssh` on PATH. Berth uses your OpenSSH client; install it (e.g. openssh-client).");
    }
    shell.close();
    // Connected, but no shell (the session refused, say): the connection is open as with -MNf,
    // and each command's own session then fails with the host's words.
    const master = await muxRequest(invocation.controlPath, { kind: "check" });
    return master?.ok === true ? { ...ready, code: 0 } : ready;
  }

  /** The host's ssh options (the user's config and Berth's defaults come from the run's config file). */
  private async resolveInvocation(state: HostState): Promise<SshInvocation> {
    const dir = this.ensurePrivateDir();
    const agent = await this.ensureAgent(dir);
    const invocation: SshInvocation = {
      settings: this.settings,
      host: state.parsed,
      controlPath: join(dir, String(state.index)),
      controlPersistSeconds: this.sshkit.poolIdleTimeout ?? DEFAULT_CONTROL_PERSIST_SECONDS,
      connectTimeoutSeconds: this.connectTimeoutSeconds,
      batchMode: this.batchMode,
      configFile: join(dir, "config"),
      ...(agent ? { agent: { socket: agent.socket, publicKeyFiles: agent.publicKeyFiles } } : {}),
    };
    state.invocation = invocation;
    return invocation;
  }

  /**
   * Where ssh was going (hostname, port, user as the config resolves them), for the messages of a
   * failure: read with `ssh -G` (nothing is sent) only once something failed.
   */
  private async failureContext(state: HostState, invocation: SshInvocation): Promise<FailureContext> {
    state.context ??= (async () => {
      const shown = await this.ssh([...sshOptionArgs(invocation), "-T", "-G", "--", state.parsed.hostname]).catch(() => undefined);
      const effective = parseSshG(shown?.code === 0 ? shown.stdout : "");
      return {
        host: state.parsed.original,
        hostname: effective.get("hostname") ?? state.parsed.hostname,
        port: Number(effective.get("port") ?? state.parsed.port ?? this.settings.port ?? DEFAULT_SSH_PORT),
        user: state.parsed.user ?? this.settings.user ?? effective.get("user") ?? DEFAULT_SSH_USER,
        connectTimeoutSeconds: this.connectTimeoutSeconds,
      };
    })();
    return state.context;
  }

  private ensurePrivateDir(): string {
    if (!this.privateDir) {
      // Short base path: ssh's control sockets must fit a 104-108 byte socket address.
      const base = tmpdir().length <= 40 ? tmpdir() : "/tmp";
      this.privateDir = mkdtempSync(join(base, "berth-ssh-")); // mode 0700
      writeFileSync(join(this.privateDir, "config"), sshConfigFileContent(this.settings.config), { mode: 0o600 });
    }
    return this.privateDir;
  }

  private ensureAgent(dir: string): Promise<PrivateAgent | undefined> {
    if (!this.agent) {
      const keys = this.settings.keyData ?? [];
      this.agent = keys.length === 0 ? Promise.resolve(undefined) : PrivateAgent.start(dir, keys);
    }
    return this.agent;
  }

  /**
   * `ssh -O check|forward|exit` for the host's shared connection: said to its control socket
   * directly (ssh-mux.ts), or by the ssh command where the master doesn't answer as expected.
   */
  private async control(invocation: SshInvocation, request: MuxRequest): Promise<{ code: number; stderr: string }> {
    const answer = await muxRequest(invocation.controlPath, request);
    if (answer !== undefined) return answer.ok ? { code: 0, stderr: "" } : { code: 255, stderr: `${answer.message}\n` };
    const args = request.kind === "forward" ? sshForwardArgs(invocation, request.localSocket, request.remoteSocket) : sshControlArgs(invocation, request.kind);
    return this.ssh(args);
  }

  private async ssh(args: string[], extra: Omit<ChildRequest, "command" | "args" | "env"> = {}): Promise<ChildOutcome> {
    try {
      return await runChild({ command: "ssh", args, env: this.env, ...extra });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new BerthError("Cannot run ssh: no `ssh` on PATH. Berth uses your OpenSSH client; install it (e.g. openssh-client).");
      }
      throw error;
    }
  }
}

function unexplained(host: string, reason: SshFailureReason, what: string, stderr: string): SshConnectionError {
  return new SshConnectionError(host, reason, `${what}: ${stderr.trim() || "no message from ssh"}`, stderr.trim());
}

function parseSshG(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0 && !values.has(line.slice(0, space))) values.set(line.slice(0, space), line.slice(space + 1).trim());
  }
  return values;
}

/** Kamal's DNS retry backoff: 0.1 s doubling up to 2 s, plus up to 50% jitter. */
function backoff(attempt: number): Promise<void> {
  const base = Math.min(2000, 100 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, base * (1 + Math.random() * 0.5)));
}

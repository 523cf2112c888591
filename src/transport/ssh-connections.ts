// Each host's shared connection (ControlMaster) for one run: opened on its first use (`ssh -MNf`,
// or with its first remote shell), checked again when ControlPersist may have closed it, reopened
// after a loss, and told apart from a command's own exit 255. close() ends them all (`ssh -O exit`).
import { join } from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import { DEFAULT_SSH_PORT, DEFAULT_SSH_USER, DEFAULT_SSHKIT_DNS_RETRIES, DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS } from "../config/defaults.js";
import type { ChildOutcome } from "./child.js";
import { SshConnectionError, type SshFailureReason } from "./errors.js";
import type { Observers, StatsCounter } from "./observers.js";
import { REMOTE_SHELL_COMMAND, RemoteShell } from "./remote-shell.js";
import { sshCommandArgs, sshControlArgs, sshMasterArgs, sshMasterCommandArgs, sshOptionArgs, type SshInvocation } from "./ssh-args.js";
import { classifySshFailure, type FailureContext } from "./ssh-failure.js";
import { newSshHostState, type SshHostState } from "./ssh-host-state.js";
import { muxRequest, type MuxRequest } from "./ssh-mux.js";
import { SshPrivateDirectory } from "./ssh-private-directory.js";
import { runSsh, sshControl, sshNotFound, type SshControlOutcome } from "./ssh-process.js";
import { restoreRemoteForwards } from "./ssh-remote-forwards.js";
import type { SshSettings, SshkitSettings } from "./ssh-settings.js";

/** The transport's options, resolved to their defaults. */
export interface SshConnectionOptions {
  readonly settings: SshSettings;
  readonly sshkit: SshkitSettings;
  readonly connectTimeoutSeconds: number;
  readonly batchMode: boolean;
  readonly sessionsPerHost: number;
  readonly env: NodeJS.ProcessEnv;
  readonly persistentShells: boolean;
  readonly observers: Observers;
  readonly counters: StatsCounter;
}

const DEFAULT_CONTROL_PERSIST_SECONDS = 60;
/** Time allowed after connecting for authentication (an agent may ask its user to approve). */
const AUTH_GRACE_MS = 60_000;
/** Check an idle master this long before ControlPersist would have closed it. */
const IDLE_CHECK_MARGIN_MS = 2000;

export class SshConnections {
  private readonly starts: LimitFunction;
  private readonly hosts = new Map<string, SshHostState>();
  private readonly privateDirectory: SshPrivateDirectory;

  constructor(private readonly options: SshConnectionOptions) {
    this.starts = pLimit(options.sshkit.maxConcurrentStarts ?? DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS);
    this.privateDirectory = new SshPrivateDirectory(options.settings);
  }

  state(host: string): SshHostState {
    let state = this.hosts.get(host);
    if (!state) {
      state = newSshHostState(host, this.hosts.size, this.options.sessionsPerHost);
      this.hosts.set(host, state);
    }
    return state;
  }

  /** The run's private directory (control sockets, ssh config, forwarded sockets). */
  directory(): string {
    return this.privateDirectory.ensure();
  }

  ready(state: SshHostState): Promise<SshInvocation> {
    if (state.connectFailure !== undefined) {
      const failure = state.connectFailure;
      state.connectFailure = undefined;
      return Promise.reject(failure);
    }
    if (!state.ready) {
      const opening = this.starts(() => this.open(state));
      state.ready = opening;
      opening.catch(() => {
        if (state.ready === opening) state.ready = undefined;
      });
    }
    return state.ready;
  }

  /**
   * The host's connection, reopened explicitly (and counted) when it may have closed itself after
   * ControlPersist idle seconds, e.g. during a long build; otherwise the next command's ssh would
   * silently become a new master.
   */
  async live(state: SshHostState): Promise<SshInvocation> {
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

  /** A free remote shell on the host's connection, opened if none is (sessions in flight are bounded). */
  shell(state: SshHostState, invocation: SshInvocation): RemoteShell {
    state.shells = state.shells.filter((shell) => !shell.ended);
    const free = state.shells.find((shell) => shell.idle);
    if (free) return free;
    // Idle shells end after ControlPersist seconds, so the master can then idle out as before.
    const shell = new RemoteShell("ssh", sshCommandArgs(invocation, REMOTE_SHELL_COMMAND), this.options.env, invocation.controlPersistSeconds * 1000);
    state.shells.push(shell);
    return shell;
  }

  /** Exit 255 is ssh's own failure or the command's exit status: the shared connection tells which. */
  async failure(state: SshHostState, outcome: ChildOutcome): Promise<SshConnectionError | undefined> {
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
   * Whether the host's shared connection still works (`ssh -O check`): undefined when it does (or
   * none is open), else the error saying it was lost.
   */
  async check(host: string): Promise<Error | undefined> {
    const state = this.state(host);
    const opening = state.ready;
    const invocation = opening === undefined ? undefined : await opening.catch(() => undefined);
    if (invocation === undefined) return undefined;
    const check = await runSsh(this.options.env, sshControlArgs(invocation, "check"));
    if (check.code === 0) return undefined;
    if (state.ready === opening) state.ready = undefined; // reconnect on next use
    // ssh's words here are about the control socket, not the host: say what happened instead.
    return new SshConnectionError(host, "connection-lost", `The SSH connection to ${host} was lost: the host stopped answering, or closed it`, check.stderr.trim());
  }

  control(invocation: SshInvocation, request: MuxRequest): Promise<SshControlOutcome> {
    return sshControl(this.options.env, invocation, request);
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
    await this.privateDirectory.remove();
  }

  private async open(state: SshHostState): Promise<SshInvocation> {
    const { batchMode, connectTimeoutSeconds, env, observers, counters } = this.options;
    const started = performance.now();
    const host = state.parsed.original;
    try {
      const invocation = await this.resolveInvocation(state);
      const retries = this.options.sshkit.dnsRetries ?? DEFAULT_SSHKIT_DNS_RETRIES;
      for (let attempt = 0; ; attempt++) {
        const outcome = this.opensWithShell()
          ? await this.openMasterWithShell(state, invocation)
          : await runSsh(env, sshMasterArgs(invocation), {
              settleOnExit: true,
              // A time limit detaches ssh from the terminal, so only when it may not prompt anyway.
              ...(batchMode ? { timeoutMs: connectTimeoutSeconds * 1000 + AUTH_GRACE_MS } : {}),
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
      await restoreRemoteForwards(env, state, invocation);
      state.idleSince = performance.now();
      counters.connectionOpened(host);
      observers.emit("connectionOpened", { host, durationMs: performance.now() - started });
      return invocation;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      observers.emit("connectionFailed", { host, durationMs: performance.now() - started, message });
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
    return this.options.persistentShells && this.options.batchMode;
  }

  /** Opens the connection with its first shell; settles like `ssh -MNf` (exit 0 once usable). */
  private async openMasterWithShell(state: SshHostState, invocation: SshInvocation): Promise<ChildOutcome> {
    const shell = new RemoteShell("ssh", sshMasterCommandArgs(invocation, REMOTE_SHELL_COMMAND), this.options.env, invocation.controlPersistSeconds * 1000);
    // The first command's answer says the connection, the session and the shell all work.
    const ready = await shell.run(":", undefined, { timeoutMs: this.options.connectTimeoutSeconds * 1000 + AUTH_GRACE_MS });
    if (ready.code === 0 && ready.statusFromCommand === true) {
      state.shells.push(shell);
      return ready;
    }
    if ((shell.startError as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw sshNotFound();
    shell.close();
    // Connected, but no shell (the session refused, say): the connection is open as with -MNf,
    // and each command's own session then fails with the host's words.
    const master = await muxRequest(invocation.controlPath, { kind: "check" });
    return master?.ok === true ? { ...ready, code: 0 } : ready;
  }

  /** The host's ssh options (the user's config and Berth's defaults come from the run's config file). */
  private async resolveInvocation(state: SshHostState): Promise<SshInvocation> {
    const dir = this.privateDirectory.ensure();
    const agent = await this.privateDirectory.ensureAgent(dir);
    const invocation: SshInvocation = {
      settings: this.options.settings,
      host: state.parsed,
      controlPath: join(dir, String(state.index)),
      controlPersistSeconds: this.options.sshkit.poolIdleTimeout ?? DEFAULT_CONTROL_PERSIST_SECONDS,
      connectTimeoutSeconds: this.options.connectTimeoutSeconds,
      batchMode: this.options.batchMode,
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
  private async failureContext(state: SshHostState, invocation: SshInvocation): Promise<FailureContext> {
    const { settings, connectTimeoutSeconds } = this.options;
    state.context ??= (async () => {
      const shown = await runSsh(this.options.env, [...sshOptionArgs(invocation), "-T", "-G", "--", state.parsed.hostname]).catch(() => undefined);
      const effective = parseSshG(shown?.code === 0 ? shown.stdout : "");
      return {
        host: state.parsed.original,
        hostname: effective.get("hostname") ?? state.parsed.hostname,
        port: Number(effective.get("port") ?? state.parsed.port ?? settings.port ?? DEFAULT_SSH_PORT),
        user: state.parsed.user ?? settings.user ?? effective.get("user") ?? DEFAULT_SSH_USER,
        connectTimeoutSeconds,
      };
    })();
    return state.context;
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

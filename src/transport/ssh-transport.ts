// Remote commands through the user's own OpenSSH, one shared connection (ControlMaster) per host
// per run: the first use of a host opens it (`ssh -MNf`), every command reuses it, close() ends
// them all (`ssh -O exit`). The user's ssh config, agents, ProxyJump, certificates and known_hosts
// apply as they do for `ssh` itself; deploy.yml's `ssh:` settings are added on top. The connections
// themselves are ssh-connections.ts; this is the Transport over them.
import { join } from "node:path";
import { render, hasRedactedParts, type Cmd, type Redacted } from "../core/cmd.js";
import { BerthError } from "../util/errors.js";
import { Observers, StatsCounter } from "./observers.js";
import { runObserved } from "./observed-run.js";
import { MAX_SHELL_STDIN_BYTES } from "./remote-shell.js";
import { shellText, stdinBytes } from "./shell-text.js";
import { sshCommandArgs } from "./ssh-args.js";
import { SshConnections } from "./ssh-connections.js";
import { runSsh } from "./ssh-process.js";
import { requestRemoteForward } from "./ssh-remote-forwards.js";
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
const DEFAULT_SESSIONS_PER_HOST = 8;

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
  private readonly env: NodeJS.ProcessEnv;
  private readonly persistentShells: boolean;
  private readonly observers: Observers;
  private readonly counters = new StatsCounter();
  private readonly connections: SshConnections;

  constructor(options: SshTransportOptions = {}) {
    const settings = options.ssh ?? {};
    if (settings.logLevel !== undefined) sshLogLevel(settings.logLevel); // an unknown level is refused now, not at the first connection
    this.env = options.env ?? process.env;
    this.persistentShells = options.persistentShells ?? true;
    this.observers = new Observers(options.observers);
    this.connections = new SshConnections({
      settings,
      sshkit: options.sshkit ?? {},
      connectTimeoutSeconds: options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS,
      batchMode: options.batchMode ?? !process.stdin.isTTY,
      sessionsPerHost: options.maxSessionsPerHost ?? DEFAULT_SESSIONS_PER_HOST,
      env: this.env,
      persistentShells: this.persistentShells,
      observers: this.observers,
      counters: this.counters,
    });
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
    const state = this.connections.state(host);
    const invocation = await this.connections.ready(state).catch((error: unknown) => {
      state.connectFailure = error;
    });
    // The first remote shell too: its session opens while the caller still works locally.
    if (invocation !== undefined && this.persistentShells && state.shells.length === 0) this.connections.shell(state, invocation);
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
    const invocation = await this.connections.ready(this.connections.state(host));
    return { command: "ssh", args: sshCommandArgs(invocation, render(command, { redact: false }), { tty: true }) };
  }

  /**
   * A local unix socket (in this run's private directory) forwarded to `remotePath` on the host
   * over its shared connection (`ssh -O forward -L`), e.g. to talk to the proxy's control socket.
   * The forward is set up once per path; whether the remote end answers shows at the first connect.
   */
  forwardUnixSocket(host: string, remotePath: string): Promise<string> {
    const state = this.connections.state(host);
    let forward = state.forwards.get(remotePath);
    if (forward === undefined) {
      forward = (async () => {
        const invocation = await this.connections.live(state);
        const local = join(this.connections.directory(), `${state.index}-${state.forwards.size}.sock`);
        const result = await this.connections.control(invocation, { kind: "forward", localSocket: local, remoteSocket: remotePath });
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
    const state = this.connections.state(host);
    const invocation = await this.connections.live(state);
    await requestRemoteForward(this.env, state, invocation, remotePort, localSocket);
    state.remoteForwards.set(remotePort, localSocket);
  }

  /**
   * Whether the host's shared connection still works (`ssh -O check`): undefined when it does (or
   * none is open), else the error saying it was lost. After a failure outside the commands (a
   * forwarded socket reset, say), this tells a lost host from a failing request.
   */
  checkConnection(host: string): Promise<Error | undefined> {
    return this.connections.check(host);
  }

  close(): Promise<void> {
    return this.connections.close();
  }

  private execute(host: string, remote: RemoteCommand, options: RunOptions): Promise<RunResult> {
    const state = this.connections.state(host);
    return runObserved(this.observers, this.counters, {
      host,
      kind: remote.kind,
      shown: remote.shown,
      options,
      start: async (hooks) => {
        const invocation = await this.connections.live(state);
        state.running++;
        try {
          return await state.sessions(() => {
            if (this.usesShell(remote)) return this.connections.shell(state, invocation).run(render(remote.command, { redact: false }), remote.stdin, hooks);
            // Its own ssh: the text goes to the login shell (on stdin when it holds secrets).
            const { text, stdin } = shellText(remote.command, remote.stdin);
            return runSsh(this.env, sshCommandArgs(invocation, text), { ownGroup: true, ...(stdin === undefined ? {} : { stdin }), ...hooks });
          });
        } finally {
          state.running--;
          state.idleSince = performance.now();
        }
      },
      connectionError: async (outcome) =>
        outcome.code === 255 && outcome.statusFromCommand !== true ? this.connections.failure(state, outcome) : undefined,
    });
  }

  private usesShell(remote: RemoteCommand): boolean {
    return this.persistentShells && !remote.loginShell && (remote.stdin?.length ?? 0) <= MAX_SHELL_STDIN_BYTES;
  }
}

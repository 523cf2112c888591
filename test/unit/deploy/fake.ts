// A scripted stand-in for the servers: records every command per host and answers from a
// responder. Batches are taken apart into their steps (answered one by one, with the batch's
// markers and stop-on-failure), so flows are tested at the level of the commands Kamal runs.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContext } from "../../../src/cli/context.js";
import { CleanupRegistry } from "../../../src/cli/cleanup.js";
import { DEFAULT_GLOBAL_OPTIONS, type GlobalOptions } from "../../../src/core/context.js";
import { render, type Cmd, type Redacted } from "../../../src/core/cmd.js";
import { loadConfigFromSources, type Configuration } from "../../../src/config/index.js";
import { Output } from "../../../src/output/index.js";
import { CommandFailedError, SshConnectionError } from "../../../src/transport/index.js";
import type { RunOptions, RunResult, Transport, TransportObserver, TransportStats, UploadOptions } from "../../../src/transport/index.js";
import { Run, type RunInputs } from "../../../src/deploy/run.js";
import { MemoryStream } from "../output/streams.js";
import { secretsOf } from "../../support/secrets.js";

export interface Reply {
  readonly code?: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

/** Answers a command (unredacted text) on a host; undefined means success with no output. */
export type Responder = (host: string, command: string, stdin: string | undefined) => Reply | undefined | void;

export interface Recorded {
  readonly host: string;
  /** The command as it runs (unredacted): what a server would see. */
  readonly command: string;
  /** As logs show it. */
  readonly shown: string;
  readonly stdin: string | undefined;
  /** Set on the steps of a batch: the round trip they travelled in. */
  readonly roundTrip: number;
}

const STEP = /\( (.*?) \)(?: <\/dev\/null)? ; berth_rc=\$\? ; printf '\\n%s\\n' "__berth_batch_[0-9a-f]+__ (\d+) end \$berth_rc" ; printf '\\n%s\\n' "[^"]*" >&2 ; (\[ \$berth_rc -eq 0 \] \|\| exit \$berth_rc ; )?/gs;
const MARKER = /__berth_batch_([0-9a-f]+)__/;

export class FakeServers implements Transport {
  readonly recorded: Recorded[] = [];
  readonly uploads: { host: string; path: string; body: string; mode: number | undefined }[] = [];
  readonly unreachable = new Set<string>();
  roundTrips = 0;
  /** Set to give the fake SSH's socket forwarding (e.g. to a FakeDockerDaemon). */
  forwardUnixSocket?: (host: string, remotePath: string) => Promise<string>;
  private readonly observers: TransportObserver[] = [];
  private readonly perHost = new Map<string, { connectionsOpened: number; commandsRun: number }>();
  closed = false;

  constructor(public responder: Responder = () => undefined) {}

  observe(observer: TransportObserver): () => void {
    this.observers.push(observer);
    return () => this.observers.splice(this.observers.indexOf(observer), 1);
  }

  /** Commands sent to a host, one per step for batches. */
  commandsOn(host: string): string[] {
    return this.recorded.filter((entry) => entry.host === host).map((entry) => entry.command);
  }

  async run(host: string, command: Cmd, options: RunOptions = {}): Promise<RunResult> {
    const text = render(command, { redact: false });
    const shown = render(command);
    const stdin = stdinText(options.stdin ?? command.stdin);
    const id = Math.random().toString(16).slice(2, 10).padEnd(8, "0");
    this.stats(host);
    for (const observer of this.observers) observer.commandStarted?.({ id, host, kind: "command", command: shown });
    if (this.unreachable.has(host)) {
      for (const observer of this.observers) observer.commandFinished?.({ id, host, kind: "command", command: shown, exitStatus: 255, durationMs: 1, connectionError: "timeout" });
      throw new SshConnectionError(host, "timeout", `SSH to ${host} timed out`, "Connection timed out");
    }
    this.roundTrips++;
    this.perHost.get(host)!.commandsRun++;
    const marker = MARKER.exec(text);
    const reply = marker ? this.runBatch(host, text, marker[0], stdin) : this.answer(host, text, shown, stdin);
    const code = reply.code ?? 0;
    if (reply.stdout) options.onStdout?.(reply.stdout);
    for (const observer of this.observers) {
      if (reply.stdout) observer.commandOutput?.({ id, host, stream: "stdout", chunk: reply.stdout });
      observer.commandFinished?.({ id, host, kind: "command", command: shown, exitStatus: code, durationMs: 1 });
    }
    if (code !== 0 && !options.allowFailure) throw new CommandFailedError(host, shown, code, reply.stdout ?? "", reply.stderr ?? "");
    return { host, code, stdout: reply.stdout ?? "", stderr: reply.stderr ?? "", durationMs: 1 };
  }

  private answer(host: string, text: string, shown: string, stdin: string | undefined): Reply {
    this.recorded.push({ host, command: text, shown, stdin, roundTrip: this.roundTrips });
    return this.responder(host, text, stdin) ?? {};
  }

  private runBatch(host: string, text: string, marker: string, stdin: string | undefined): Reply {
    let stdout = "";
    let stderr = "";
    for (const match of text.matchAll(STEP)) {
      const [, step, index, required] = match;
      const reply = this.answer(host, step!, step!, text.includes(`( ${step} )`) && !text.includes(`( ${step} ) </dev/null`) ? stdin : undefined);
      const code = reply.code ?? 0;
      stdout += `${marker} ${index} begin\n${reply.stdout ?? ""}\n${marker} ${index} end ${code}\n`;
      stderr += `${marker} ${index} begin\n${reply.stderr ?? ""}\n${marker} ${index} end ${code}\n`;
      if (code !== 0 && required !== undefined) return { code, stdout, stderr };
    }
    return { code: 0, stdout, stderr };
  }

  async upload(host: string, body: Buffer | Redacted, path: string, options: UploadOptions = {}): Promise<void> {
    this.stats(host);
    this.uploads.push({ host, path, body: stdinText(body) ?? "", mode: options.mode });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  stats(host?: string): TransportStats {
    if (host !== undefined && !this.perHost.has(host)) this.perHost.set(host, { connectionsOpened: 1, commandsRun: 0 });
    const hosts = Object.fromEntries(this.perHost);
    const total = [...this.perHost.values()];
    return {
      connectionsOpened: total.reduce((sum, item) => sum + item.connectionsOpened, 0),
      commandsRun: total.reduce((sum, item) => sum + item.commandsRun, 0),
      uploads: this.uploads.length,
      bytesUploaded: 0,
      hosts,
    };
  }
}

function stdinText(stdin: Buffer | Redacted | undefined): string | undefined {
  if (stdin === undefined) return undefined;
  return Buffer.isBuffer(stdin) ? stdin.toString("utf8") : stdin.value;
}

/** Local commands: recorded with their environment, answered by a responder. */
export class FakeLocal {
  readonly recorded: { command: string; env: NodeJS.ProcessEnv; cwd: string }[] = [];
  constructor(public responder: (command: string, env: NodeJS.ProcessEnv) => Reply | undefined | void = () => undefined) {}

  factory(): RunInputs["local"] {
    return ({ cwd, env, display }) => {
      const servers = new FakeServers((_host, command) => {
        this.recorded.push({ command, env, cwd });
        return this.responder(command, env);
      });
      servers.observe(display);
      return servers;
    };
  }
}

export interface Harness {
  readonly run: Run;
  readonly servers: FakeServers;
  readonly local: FakeLocal;
  readonly stdout: MemoryStream;
  readonly stderr: MemoryStream;
  readonly cleanup: CleanupRegistry;
  readonly config: Configuration;
}

export interface HarnessOptions {
  readonly globals?: Partial<GlobalOptions>;
  readonly env?: Record<string, string>;
  readonly secrets?: Record<string, string>;
  readonly command?: readonly string[];
  readonly cwd?: string;
  readonly version?: string;
  readonly responder?: Responder;
  /** Run local commands (hooks, builds) for real instead of recording them. */
  readonly realLocal?: boolean;
}

/** A Run over fake servers, for the configuration given as YAML. */
export async function harness(yaml: string, options: HarnessOptions = {}): Promise<Harness> {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), "berth-deploy-unit-"));
  const secrets = secretsOf(options.secrets ?? {});
  const config = loadConfigFromSources({
    base: { file: "config/deploy.yml", text: yaml },
    cwd,
    env: {},
    version: options.version ?? "999",
    secrets,
  });
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const output = new Output({ stdout, stderr, verbosity: options.globals?.verbose ? "debug" : "info" });
  const cleanup = new CleanupRegistry();
  const context = createContext({
    globals: { ...DEFAULT_GLOBAL_OPTIONS, ...options.globals },
    output,
    cwd,
    env: options.env ?? {},
    commandPath: options.command ?? ["deploy"],
    cleanup,
    loadConfiguration: async () => config,
  });
  const servers = new FakeServers(options.responder);
  const local = new FakeLocal();
  const run = await Run.create(context, {
    remote: (display) => {
      servers.observe(display);
      return servers;
    },
    ...(options.realLocal ? {} : { local: local.factory() }),
    identity: { performer: "deployer@example.com", userName: "Deployer" },
    now: () => new Date("2026-01-02T03:04:05Z"),
  });
  return { run, servers, local, stdout, stderr, cleanup, config };
}

export { secretsOf };

export const BASE_CONFIG = `service: app
image: team/app
registry:
  server: registry.example:5000
  username: deployer
  password:
    - REGISTRY_PASSWORD
servers:
  - 10.0.0.1
  - 10.0.0.2
builder:
  arch: amd64
`;

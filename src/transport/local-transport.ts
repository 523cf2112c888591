// Commands on the deployer's own machine (builds, hooks, docker login locally), with the same
// interface, events and errors as the SSH transport. Each command runs through `sh -c`.
import { render, type Cmd, type Redacted } from "../core/cmd.js";
import { runChild } from "./child.js";
import { Observers, StatsCounter } from "./observers.js";
import { runObserved } from "./observed-run.js";
import { shellText, stdinBytes } from "./shell-text.js";
import { describeUpload, upload } from "../commands/upload.js";
import type { CommandKind, RunOptions, RunResult, Transport, TransportObserver, TransportStats, UploadOptions } from "./types.js";

/** The host name local commands report in events and errors. */
export const LOCAL_HOST = "localhost";

export interface LocalTransportOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  observers?: readonly TransportObserver[];
}

export class LocalTransport implements Transport {
  private readonly observers: Observers;
  private readonly counters = new StatsCounter();

  constructor(private readonly options: LocalTransportOptions = {}) {
    this.observers = new Observers(options.observers);
  }

  observe(observer: TransportObserver): () => void {
    return this.observers.add(observer);
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  /** `host` only names the machine in events; the command always runs here. */
  run(host: string, command: Cmd, options: RunOptions = {}): Promise<RunResult> {
    const { text, stdin } = shellText(command, options.stdin);
    return this.execute(host, "command", render(command), text, stdin, options);
  }

  async upload(host: string, body: Buffer | Redacted, path: string, options: UploadOptions = {}): Promise<void> {
    const bytes = stdinBytes(body) ?? Buffer.alloc(0);
    const command = upload(path, bytes, options);
    await this.execute(host, "upload", describeUpload(command), render(command), bytes, {});
    this.counters.uploaded(bytes.length);
  }

  async close(): Promise<void> {
    // Nothing shared to close: every command is its own process.
  }

  private execute(
    host: string,
    kind: CommandKind,
    shown: string,
    text: string,
    stdin: Buffer | undefined,
    options: RunOptions,
  ): Promise<RunResult> {
    return runObserved(this.observers, this.counters, {
      host,
      kind,
      shown,
      options,
      start: (hooks) =>
        runChild({
          command: "sh",
          args: ["-c", text],
          ...(this.options.cwd === undefined ? {} : { cwd: this.options.cwd }),
          ...(this.options.env === undefined ? {} : { env: this.options.env }),
          ...(stdin === undefined ? {} : { stdin }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.dieWithParent ? { dieWithParent: true } : {}),
          ...hooks,
        }),
    });
  }
}

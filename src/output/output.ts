// The logger everything prints through. Three renderings of the same calls:
// - plain Kamal lines (SSHKit's Pretty format, Thor's say, puts_by_host);
// - a compact live view on terminals (see live.ts);
// - JSON events, one object per line, for CI.
// Every line passes the secret masker before it is written.

import { render, type Cmd } from "../core/cmd.js";
import { createColors, type Colors } from "./colors.js";
import { describeError, stackFrames } from "./error-report.js";
import type {
  CommandFinishedEvent,
  CommandOutputEvent,
  CommandStartedEvent,
  ConnectionFailedEvent,
  ConnectionOpenedEvent,
  Level,
  OutputEvents,
} from "./events.js";
import {
  byHostBlock,
  commandMessage,
  dataMessage,
  errorLine,
  finishedMessage,
  formatLine,
  runningMessage,
} from "./format.js";
import type { LiveView } from "./live.js";
import { SecretMasker } from "./mask.js";
import type { OutputFormat, OutputOptions, OutputStream, SayColor, Verbosity } from "./output-options.js";

const LEVEL_RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };
const THRESHOLD: Record<Verbosity, Level> = { debug: "debug", info: "info", error: "error" };

interface RunningCommand {
  readonly host: string;
  readonly level: Level;
  readonly text: string;
  readonly partial: { stdout: string; stderr: string };
}

export class Output implements OutputEvents {
  readonly verbosity: Verbosity;
  readonly format: OutputFormat;
  readonly colors: Colors;
  private readonly stdout: OutputStream;
  private readonly stderr: OutputStream;
  private readonly live: LiveView | undefined;
  private readonly now: () => Date;
  private readonly masker = new SecretMasker();
  private readonly running = new Map<string, RunningCommand>();

  constructor(options: OutputOptions) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.verbosity = options.verbosity ?? "info";
    this.format = options.format ?? "text";
    this.colors = createColors(this.format === "text" && (options.color ?? false));
    this.live = this.format === "text" ? options.live : undefined;
    this.now = options.now ?? (() => new Date());
  }

  get isLive(): boolean {
    return this.live !== undefined;
  }

  /** Registers secret values: from now on they are masked in every line written. */
  registerSecrets(values: Iterable<string>): void {
    for (const value of values) this.masker.add(value);
  }

  registerSecret(value: string): void {
    this.masker.add(value);
  }

  mask(text: string): string {
    return this.masker.mask(text);
  }

  shows(level: Level): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[THRESHOLD[this.verbosity]];
  }

  /** Thor's `say`: a phase heading such as "Acquiring the deploy lock...", in colour, no prefix. */
  say(message: string, color: SayColor = "magenta"): void {
    if (this.format === "json") return this.event("say", { message });
    const line = this.colors[color](this.mask(message));
    if (this.live !== undefined) this.live.phase(line);
    else this.stdout.write(`${line}\n`);
  }

  /** A level line without a command id, e.g. `  INFO Following logs on 1.1.1.1...`. */
  log(level: Level, message: string): void {
    if (!this.shows(level)) return;
    if (this.format === "json") return this.event("log", { level, message });
    this.writeText(`${formatLine(this.colors, level, this.mask(message))}\n`);
  }

  debug(message: string): void {
    this.log("debug", message);
  }

  info(message: string): void {
    this.log("info", message);
  }

  warn(message: string): void {
    this.log("warn", message);
  }

  error(message: string): void {
    this.log("error", message);
  }

  /** `puts`: plain text on stdout, e.g. "  Finished all in 12.3 seconds". */
  print(text: string): void {
    if (this.format === "json") return this.event("print", { text });
    this.writeText(text.endsWith("\n") ? this.mask(text) : `${this.mask(text)}\n`);
  }

  /** `puts_by_host`: `App Host: h` and the output; with -q only the output. */
  putsByHost(host: string, output: string, options: { type?: string; quiet?: boolean } = {}): void {
    const type = options.type ?? "App";
    if (this.format === "json") return this.event("host.output", { host, type, output });
    const quiet = options.quiet ?? this.verbosity === "error";
    this.writeText(byHostBlock(host, this.mask(output), type, quiet));
  }

  /**
   * A command's result document (`berth config`, `berth version`): the text as is, or in JSON
   * mode the value as one line of JSON.
   */
  data(text: string, json: unknown): void {
    if (this.format === "json") this.writeText(`${this.mask(JSON.stringify(json))}\n`);
    else this.writeText(text.endsWith("\n") ? this.mask(text) : `${this.mask(text)}\n`);
  }

  /**
   * Writes secret values on purpose (`berth secrets print|fetch|extract`), bypassing the masker.
   * Nothing else may use this.
   */
  revealSecrets(text: string): void {
    this.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** `--raw`: the bytes exactly as the remote command wrote them, for piping. */
  raw(chunk: string | Uint8Array): void {
    if (this.live !== undefined) this.live.interrupt(() => void this.stdout.write(chunk));
    else this.stdout.write(chunk);
  }

  /** The CLI's last word on a failure: Kamal's `  ERROR (<kind>): <message>` on stderr. */
  reportError(error: unknown, options: { verbose: boolean }): void {
    const { kind, message, stack, isBug } = describeError(error);
    const showStack = stack !== undefined && (options.verbose || isBug);
    if (this.format === "json") {
      return this.event("error", { kind, message, ...(showStack ? { stack: this.mask(stack) } : {}) });
    }
    const text = `${errorLine(this.colors, kind, this.mask(message))}\n${showStack ? `${this.mask(stackFrames(stack))}\n` : ""}`;
    const write = (): void => void this.stderr.write(text);
    if (this.live !== undefined) this.live.interrupt(write);
    else write();
  }

  commandStarted(event: CommandStartedEvent): void {
    const level = event.level ?? "info";
    const text = this.mask(shown(event.command));
    this.running.set(event.id, { host: event.host, level, text, partial: { stdout: "", stderr: "" } });
    if (this.format === "json") {
      if (this.shows(level)) {
        this.event("command.start", { host: event.host, id: event.id, command: text, level, ...(event.user ? { user: event.user } : {}) });
      }
      return;
    }
    if (this.live !== undefined) {
      if (this.shows(level)) this.live.commandStarted(event.id, event.host, text);
      return;
    }
    if (this.shows(level)) {
      this.stdout.write(`${formatLine(this.colors, level, runningMessage(this.colors, text, event.host, event.user), event.id)}\n`);
    }
    if (this.shows("debug")) {
      const full = event.wrapped === undefined ? text : this.mask(shown(event.wrapped));
      this.stdout.write(`${formatLine(this.colors, "debug", commandMessage(this.colors, full), event.id)}\n`);
    }
  }

  commandOutput(event: CommandOutputEvent): void {
    const command = this.running.get(event.id);
    const buffered = (command?.partial[event.stream] ?? "") + event.chunk;
    const lines = buffered.split(/\r?\n/);
    const rest = lines.pop() ?? "";
    if (command !== undefined) command.partial[event.stream] = rest;
    else if (rest !== "") lines.push(rest);
    for (const line of lines) this.dataLine(event.id, event.host, event.stream, line);
  }

  commandFinished(event: CommandFinishedEvent): void {
    const command = this.running.get(event.id);
    this.running.delete(event.id);
    if (command !== undefined) {
      for (const stream of ["stdout", "stderr"] as const) {
        if (command.partial[stream] !== "") this.dataLine(event.id, event.host, stream, command.partial[stream]);
      }
    }
    const level = command?.level ?? "info";
    if (!this.shows(level)) return;
    const seconds = event.durationMs / 1000;
    if (this.format === "json") {
      return this.event("command.finish", {
        host: event.host,
        id: event.id,
        command: command?.text,
        status: event.exitStatus,
        seconds: Number(seconds.toFixed(3)),
        successful: event.exitStatus === 0,
        ...(event.connectionError === undefined ? {} : { connectionError: this.mask(event.connectionError) }),
      });
    }
    if (this.live !== undefined) return this.live.commandFinished(event.id, event.host, event.exitStatus);
    this.stdout.write(`${formatLine(this.colors, level, finishedMessage(this.colors, seconds, event.exitStatus), event.id)}\n`);
  }

  connectionOpened(event: ConnectionOpenedEvent): void {
    this.debug(`Connected to ${event.host} in ${(event.durationMs / 1000).toFixed(3)} seconds`);
  }

  connectionFailed(event: ConnectionFailedEvent): void {
    this.debug(`Connection to ${event.host} failed after ${(event.durationMs / 1000).toFixed(3)} seconds: ${event.message}`);
  }

  /** Stops the live view (its last frame stays on screen). Safe to call more than once. */
  close(): void {
    this.live?.close();
  }

  private dataLine(id: string, host: string, stream: "stdout" | "stderr", line: string): void {
    // The live view shows a long step's latest line as its progress (it is only used without -v).
    if (this.live !== undefined) return this.live.commandOutput(id, host, this.mask(line));
    if (!this.shows("debug")) return;
    const masked = this.mask(line);
    if (this.format === "json") return this.event("command.output", { host, id, stream, line: masked });
    this.writeText(`${formatLine(this.colors, "debug", dataMessage(this.colors, masked, stream), id)}\n`);
  }

  private writeText(text: string): void {
    if (this.live !== undefined) this.live.above(text);
    else this.stdout.write(text);
  }

  private event(event: string, fields: Record<string, unknown>): void {
    const record = { ts: this.now().toISOString(), event, ...fields };
    this.stdout.write(`${this.mask(JSON.stringify(record))}\n`);
  }
}

function shown(command: string | Cmd): string {
  return typeof command === "string" ? command : render(command);
}

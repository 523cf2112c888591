// The compact live view for terminals: one line per host with what it is doing right now and
// for how long; a host whose commands have all finished collapses to a one-line summary. Phase
// headings (say lines) and any other printed text are written above the view and stay.
// The long steps are named (build, push, pull, health wait) and show their latest output line
// (a build step, a layer pulled) under the host's line, so a wait shows progress.

import { stripVTControlCharacters } from "node:util";
import type { Colors } from "./colors.js";

/** What log-update's `createLogUpdate(stream)` returns; injected so tests need no terminal. */
export interface LiveRenderer {
  (text: string): void;
  clear(): void;
  done(): void;
  persist(text: string): void;
}

interface RunningCommand {
  readonly text: string;
  readonly startedAt: number;
  /** The last non-empty line it printed, when it is a long step. */
  latest?: string;
}

interface HostState {
  readonly host: string;
  readonly running: Map<string, RunningCommand>;
  finished: number;
  failure: { readonly text: string; readonly exitStatus: number } | undefined;
  readonly startedAt: number;
  endedAt: number;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** The steps that take long enough to watch, by the command that runs them. */
const LONG_STEPS: readonly (readonly [string, RegExp])[] = [
  ["build", /^docker (?:image |buildx )?build\b/],
  ["push", /^docker (?:image )?push\b/],
  ["pull", /^docker (?:image )?pull\b/],
  // kamal-proxy deploy returns once the new target answers its health checks (or times out).
  ["health wait", /\bkamal-proxy deploy\b/],
];

export function longStepOf(command: string): string | undefined {
  return LONG_STEPS.find(([, pattern]) => pattern.test(command))?.[0];
}

export interface LiveViewOptions {
  readonly renderer: LiveRenderer;
  readonly colors: Colors;
  /** Terminal width, read on every frame so resizes are honoured. */
  readonly width: () => number;
  readonly clock?: () => number;
  /** Redraw interval for the elapsed-time counters; 0 disables the timer (tests). */
  readonly tickMs?: number;
}

export class LiveView {
  private readonly hosts = new Map<string, HostState>();
  private readonly renderer: LiveRenderer;
  private readonly colors: Colors;
  private readonly width: () => number;
  private readonly clock: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: LiveViewOptions) {
    this.renderer = options.renderer;
    this.colors = options.colors;
    this.width = options.width;
    this.clock = options.clock ?? (() => performance.now());
    const tickMs = options.tickMs ?? 100;
    // unref: the counters must never keep the process alive.
    this.timer = tickMs > 0 ? setInterval(() => this.render(), tickMs).unref() : undefined;
  }

  commandStarted(id: string, host: string, text: string): void {
    const now = this.clock();
    let state = this.hosts.get(host);
    if (state === undefined) {
      state = { host, running: new Map(), finished: 0, failure: undefined, startedAt: now, endedAt: now };
      this.hosts.set(host, state);
    }
    state.running.set(id, { text, startedAt: now });
    this.render();
  }

  /** A line a running command printed: kept as its latest, shown under a long step. */
  commandOutput(id: string, host: string, line: string): void {
    const command = this.hosts.get(host)?.running.get(id);
    // Only the text after a carriage return is what a terminal would show; colours are dropped.
    const shown = stripVTControlCharacters(line.split("\r").at(-1)!).trim();
    // The classic builder's "---> Running in <id>" says less than the step line before it.
    if (command === undefined || shown === "" || shown.startsWith("--->") || longStepOf(command.text) === undefined) return;
    command.latest = shown;
    this.render();
  }

  commandFinished(id: string, host: string, exitStatus: number): void {
    const state = this.hosts.get(host);
    const command = state?.running.get(id);
    if (state === undefined || command === undefined) return;
    state.running.delete(id);
    state.finished += 1;
    state.endedAt = this.clock();
    if (exitStatus !== 0) state.failure = { text: command.text, exitStatus };
    this.render();
  }

  /** A phase heading: the current table is kept as it stands and a fresh one starts below. */
  phase(line: string): void {
    if (this.closed) return;
    const table = this.frame();
    this.hosts.clear();
    this.renderer.persist(table === "" ? line : `${table}\n${line}`);
  }

  /** Text printed while the view is live goes above it. */
  above(text: string): void {
    if (this.closed) return;
    this.renderer.persist(text.endsWith("\n") ? text.slice(0, -1) : text);
    this.render();
  }

  /** Runs a write to another stream (stderr) with the view cleared, then redraws it. */
  interrupt(write: () => void): void {
    if (this.closed) return write();
    this.renderer.clear();
    write();
    this.render();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    const table = this.frame();
    if (table === "") this.renderer.clear();
    else this.renderer.persist(table);
    this.renderer.done();
  }

  /** The current table as text; empty when no host has run anything in this phase. */
  frame(): string {
    const now = this.clock();
    const states = [...this.hosts.values()];
    const hostWidth = Math.max(0, ...states.map((state) => state.host.length));
    return states.map((state) => this.hostLine(state, hostWidth, now)).join("\n");
  }

  private render(): void {
    if (this.closed) return;
    const frame = this.frame();
    if (frame === "") this.renderer.clear();
    else this.renderer(frame);
  }

  private hostLine(state: HostState, hostWidth: number, now: number): string {
    const c = this.colors;
    const host = state.host.padEnd(hostWidth);
    const current = [...state.running.values()].at(-1);
    if (current !== undefined) {
      const spinner = SPINNER[Math.floor(now / 80) % SPINNER.length]!;
      const elapsed = `${((now - current.startedAt) / 1000).toFixed(1)}s`;
      const step = longStepOf(current.text);
      const label = step === undefined ? "" : `${step}: `;
      const room = this.width() - (6 + hostWidth + label.length + elapsed.length + 2);
      const line = `  ${c.cyan(spinner)} ${host}  ${label === "" ? "" : c.bold(label)}${truncate(current.text, room)}  ${c.dim(elapsed)}`;
      if (current.latest === undefined) return line;
      const indent = " ".repeat(6 + hostWidth);
      return `${line}\n${indent}${c.dim(truncate(current.latest, this.width() - indent.length))}`;
    }
    if (state.failure !== undefined) {
      const status = `exit status ${state.failure.exitStatus}`;
      const room = this.width() - (6 + hostWidth + status.length + 2);
      return `  ${c.red("✗")} ${host}  ${truncate(state.failure.text, room)}  ${c.red(status)}`;
    }
    const total = ((state.endedAt - state.startedAt) / 1000).toFixed(1);
    const count = `${state.finished} ${state.finished === 1 ? "command" : "commands"} in ${total}s`;
    return `  ${c.green("✓")} ${host}  ${c.dim(count)}`;
  }
}

function truncate(text: string, room: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, " ");
  if (room < 8) return oneLine.slice(0, Math.max(0, room));
  return oneLine.length <= room ? oneLine : `${oneLine.slice(0, room - 1)}…`;
}

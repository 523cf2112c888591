// What a request loop's answers may be, given what each server served when: every answer must
// come from a state (a version, or the maintenance page) that was live on the server that gave it
// at some moment while the request was open. A server's state changes at a switch known to
// happen within a window of time (a command's run, or one step of it): before the window only
// the old state is live, after it only the new one, within it either.
import type { LoopRequest } from "./request-loop.js";

/** A switch on one server from one state to another, at some moment within [start, end]. */
export interface Transition {
  readonly server: string;
  readonly from: string;
  readonly to: string;
  readonly start: number;
  readonly end: number;
}

export interface Phase {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

interface Interval {
  readonly state: string;
  readonly start: number;
  readonly end: number;
}

/** The state an answer shows: the version in its body, MAINTENANCE for the maintenance page, undefined for anything else. */
export type Classifier = (request: LoopRequest) => string | undefined;

export const MAINTENANCE = "maintenance";

export interface Violation {
  readonly request: LoopRequest;
  readonly why: string;
}

/** Per server, the intervals in which each state may be live; throws when the transitions don't chain. */
export function liveIntervals(initial: ReadonlyMap<string, string>, transitions: readonly Transition[]): Map<string, Interval[]> {
  const result = new Map<string, Interval[]>();
  for (const [server, state] of initial) {
    const own = transitions.filter((transition) => transition.server === server).sort((a, b) => a.start - b.start);
    const intervals: Interval[] = [];
    let current = state;
    let since = -Infinity;
    for (const transition of own) {
      if (transition.from !== current) throw new Error(`transition on ${server} at ${transition.start} from ${transition.from}, but ${current} was live`);
      if (transition.to === current) continue; // no change (e.g. `live` when already live)
      intervals.push({ state: current, start: since, end: transition.end });
      current = transition.to;
      since = transition.start;
    }
    intervals.push({ state: current, start: since, end: Infinity });
    result.set(server, intervals);
  }
  return result;
}

/** The requests whose answer isn't one that was live on its server while it was open (failures included). */
export function violations(requests: readonly LoopRequest[], intervals: ReadonlyMap<string, Interval[]>, classify: Classifier): Violation[] {
  const found: Violation[] = [];
  for (const request of requests) {
    const server = request.servers.at(-1)!;
    const state = classify(request);
    if (state === undefined) {
      found.push({ request, why: request.error ?? `answered ${request.status}: ${(request.body ?? "").slice(0, 80)}` });
      continue;
    }
    const live = (intervals.get(server) ?? []).some((interval) => interval.state === state && interval.start <= request.endedAt && interval.end >= request.startedAt);
    if (!live) found.push({ request, why: `answered ${state}, which was not live on ${server} then` });
  }
  return found;
}

export interface PhaseFigures {
  readonly phase: string;
  readonly durationMs: number;
  readonly sent: number;
  readonly failed: number;
  /** Answered by another server after the first refused the connection (a load balancer's retry). */
  readonly retried: number;
  readonly maintenance: number;
  /** Answers by state (version or maintenance). */
  readonly answers: Readonly<Record<string, number>>;
}

/**
 * Figures per phase, by the phase in which each request started; requests started between
 * phases count in the phase "(between)".
 */
export function figuresByPhase(requests: readonly LoopRequest[], phases: readonly Phase[], classify: Classifier, failed: ReadonlySet<number>): PhaseFigures[] {
  const between = "(between)";
  const rows = new Map<string, { durationMs: number; sent: number; failed: number; retried: number; maintenance: number; answers: Record<string, number> }>();
  const row = (name: string, durationMs = 0) => {
    let entry = rows.get(name);
    if (entry === undefined) rows.set(name, (entry = { durationMs, sent: 0, failed: 0, retried: 0, maintenance: 0, answers: {} }));
    return entry;
  };
  for (const phase of phases) row(phase.name, phase.end - phase.start);
  for (const request of requests) {
    const phase = phases.find((candidate) => request.startedAt >= candidate.start && request.startedAt < candidate.end);
    const entry = row(phase?.name ?? between);
    entry.sent++;
    if (failed.has(request.seq)) entry.failed++;
    if (request.servers.length > 1) entry.retried++;
    const state = classify(request);
    if (state === MAINTENANCE) entry.maintenance++;
    if (state !== undefined) entry.answers[state] = (entry.answers[state] ?? 0) + 1;
  }
  return [...rows].map(([phase, entry]) => ({ phase, ...entry }));
}

/** The figures as a text table, for the test's output and the report. */
export function formatFigures(figures: readonly PhaseFigures[], short: (state: string) => string = (state) => state): string {
  const lines = ["phase                          ms     sent  failed  retried  maint.  answers"];
  for (const row of figures) {
    const answers = Object.entries(row.answers).map(([state, count]) => `${short(state)}:${count}`).join(" ");
    lines.push(
      `${row.phase.padEnd(28)} ${String(Math.round(row.durationMs)).padStart(6)} ${String(row.sent).padStart(8)} ${String(row.failed).padStart(7)} ${String(row.retried).padStart(8)} ${String(row.maintenance).padStart(7)}  ${answers}`,
    );
  }
  const total = (key: "sent" | "failed" | "retried" | "maintenance"): number => figures.reduce((sum, row) => sum + row[key], 0);
  lines.push(`${"total".padEnd(28)} ${"".padStart(6)} ${String(total("sent")).padStart(8)} ${String(total("failed")).padStart(7)} ${String(total("retried")).padStart(8)} ${String(total("maintenance")).padStart(7)}`);
  return lines.join("\n");
}

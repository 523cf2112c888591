// The zero-downtime test's judge: answers must come from a state live on their server while the
// request was open; failures and answers from states not live then are reported.
import { describe, expect, it } from "vitest";
import { MAINTENANCE, figuresByPhase, liveIntervals, violations, type Classifier } from "../../e2e/support/liveness.js";
import type { LoopRequest } from "../../e2e/support/request-loop.js";

const classify: Classifier = (request) => (request.status === 200 ? request.body : request.status === 503 ? MAINTENANCE : undefined);
const answer = (seq: number, server: string, startedAt: number, endedAt: number, body: string, status = 200): LoopRequest => ({ seq, servers: [server], startedAt, endedAt, status, body });

describe("liveness", () => {
  const intervals = liveIntervals(
    new Map([["a", "v1"], ["b", "v1"]]),
    [
      { server: "a", from: "v1", to: "v2", start: 100, end: 110 },
      { server: "b", from: "v1", to: "v2", start: 105, end: 120 },
      { server: "a", from: "v2", to: MAINTENANCE, start: 200, end: 210 },
      { server: "a", from: MAINTENANCE, to: "v2", start: 300, end: 310 },
    ],
  );

  it("accepts the old state up to the end of a switch's window and the new one from its start", () => {
    const requests = [answer(1, "a", 90, 95, "v1"), answer(2, "a", 108, 109, "v1"), answer(3, "a", 101, 102, "v2"), answer(4, "b", 119, 119.5, "v1"), answer(5, "a", 250, 251, "", 503), answer(6, "a", 305, 306, "", 503)];
    expect(violations(requests, intervals, classify)).toEqual([]);
  });

  it("rejects an old state after the window, a new state before it, maintenance outside it, and failures", () => {
    const requests = [answer(1, "a", 111, 112, "v1"), answer(2, "b", 90, 104, "v2"), answer(3, "a", 311, 312, "", 503), { seq: 4, servers: ["a", "b"], startedAt: 1, endedAt: 2, error: "socket hang up" }, answer(5, "a", 1, 2, "oops", 502)];
    expect(violations(requests, intervals, classify).map((violation) => [violation.request.seq, violation.why])).toEqual([
      [1, "answered v1, which was not live on a then"],
      [2, "answered v2, which was not live on b then"],
      [3, "answered maintenance, which was not live on a then"],
      [4, "socket hang up"],
      [5, "answered 502: oops"],
    ]);
  });

  it("refuses transitions that don't chain", () => {
    expect(() => liveIntervals(new Map([["a", "v1"]]), [{ server: "a", from: "v2", to: "v3", start: 1, end: 2 }])).toThrow("from v2, but v1 was live");
  });

  it("counts requests by the phase they started in", () => {
    const requests = [answer(1, "a", 1, 2, "v1"), { ...answer(2, "b", 5, 6, "v2"), servers: ["a", "b"] }, answer(3, "a", 50, 51, "", 503)];
    const figures = figuresByPhase(requests, [{ name: "deploy", start: 0, end: 10 }], classify, new Set([3]));
    expect(figures).toEqual([
      { phase: "deploy", durationMs: 10, sent: 2, failed: 0, retried: 1, maintenance: 0, answers: { v1: 1, v2: 1 } },
      { phase: "(between)", durationMs: 0, sent: 1, failed: 1, retried: 0, maintenance: 1, answers: { maintenance: 1 } },
    ]);
  });
});

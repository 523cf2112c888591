// Batching: Kamal pays one SSH round trip per command; Berth can send several steps as one remote
// script and still attribute each step's stdout, stderr and exit status. Each step runs in its
// own subshell between marker lines (on both streams) that carry a per-batch nonce, so no
// output can be mistaken for a marker.
import { singleQuote } from "../core/cmd.js";
import type { Cmd, Part } from "../core/cmd.js";
import type { Operation } from "./operation.js";

export interface BatchStep {
  readonly command: Operation;
  /** Keep going when this step fails (Kamal's `raise_on_non_zero_exit: false`). */
  readonly allowFailure?: boolean;
  /** A name for messages, e.g. "lock acquire". */
  readonly label?: string;
}

/**
 * The one command that runs the steps; its exit status is the first failing required step's (else
 * 0). A carrier that doesn't run shell scripts (--plan) takes the steps themselves.
 */
export interface Batch extends Cmd {
  readonly kind: "batch";
  readonly marker: string;
  readonly steps: readonly BatchStep[];
}

export interface BatchStepResult {
  readonly index: number;
  readonly label: string | undefined;
  /** False when an earlier required step failed (or the script was cut off before it). */
  readonly ran: boolean;
  /** Exit status; undefined when the step did not run or its output was cut off. */
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** A step given as its operation alone is a required step. */
export const toStep = (step: Operation | BatchStep): BatchStep => ("parts" in step ? { command: step } : step);

function printf(format: string, text: string, toStderr: boolean): Part[] {
  return ["printf", singleQuote(format), text, ...(toStderr ? [">&2"] : [])];
}

/**
 * One remote command running `steps` in order. A failing step stops the batch unless it allows
 * failure. At most one step may carry stdin (the others read /dev/null). `nonce` is 8+ random
 * hex digits (`randomBytes(8).toString("hex")`).
 */
export function batch(steps: readonly (Operation | BatchStep)[], { nonce }: { nonce: string }): Batch {
  if (!/^[0-9a-f]{8,}$/.test(nonce)) throw new TypeError(`batch nonce must be 8 or more lowercase hex digits, got "${nonce}"`);
  if (steps.length === 0) throw new TypeError("a batch needs at least one step");
  const normalized = steps.map(toStep);
  const withStdin = normalized.filter((step) => step.command.stdin !== undefined);
  if (withStdin.length > 1) throw new TypeError("at most one step of a batch can read standard input");

  const marker = `__berth_batch_${nonce}__`;
  const parts: Part[] = [];
  normalized.forEach((step, index) => {
    const begin = singleQuote(`${marker} ${index} begin`);
    const end = `"${marker} ${index} end $berth_rc"`;
    parts.push(...printf("%s\\n", begin, false), ";", ...printf("%s\\n", begin, true), ";");
    parts.push("(", ...step.command.parts, ")", ...(step.command.stdin === undefined ? ["</dev/null"] : []), ";", "berth_rc=$?", ";");
    parts.push(...printf("\\n%s\\n", end, false), ";", ...printf("\\n%s\\n", end, true), ";");
    if (!step.allowFailure) parts.push("[", "$berth_rc", "-eq", "0", "]", "||", "exit", "$berth_rc", ";");
  });
  parts.push("exit", "0");
  const stdin = withStdin[0]?.command.stdin;
  return { kind: "batch", parts, ...(stdin === undefined ? {} : { stdin }), marker, steps: normalized };
}

interface Section {
  readonly found: boolean;
  readonly text: string;
  readonly code: number | undefined;
}

function section(output: string, marker: string, index: number): Section {
  const beginLine = `${marker} ${index} begin\n`;
  const begin = output.indexOf(beginLine);
  if (begin === -1) return { found: false, text: "", code: undefined };
  const start = begin + beginLine.length;
  const endPrefix = `\n${marker} ${index} end `;
  const end = output.indexOf(endPrefix, start);
  if (end === -1) return { found: true, text: output.slice(start), code: undefined };
  const codeText = output.slice(end + endPrefix.length).split("\n", 1)[0] ?? "";
  const code = /^\d+$/.test(codeText) ? Number(codeText) : undefined;
  return { found: true, text: output.slice(start, end), code };
}

/** Splits a batch's output back into its steps. Text outside the markers (a login banner) is ignored. */
export function parseBatch(batched: Batch, output: { readonly stdout: string; readonly stderr: string }): BatchStepResult[] {
  return batched.steps.map((step, index) => {
    const out = section(output.stdout, batched.marker, index);
    const err = section(output.stderr, batched.marker, index);
    return {
      index,
      label: step.label,
      ran: out.found || err.found,
      code: out.code ?? err.code,
      stdout: out.text,
      stderr: err.text,
    };
  });
}

/** The first step that ran and failed without being allowed to, if any. */
export function firstFailure(results: readonly BatchStepResult[], batched: Batch): BatchStepResult | undefined {
  return results.find((result) => result.ran && result.code !== 0 && !batched.steps[result.index]?.allowFailure);
}

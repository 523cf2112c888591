// Batching: the script text, parsing its output back into steps, and running real batches with
// the local shell (including the stdin and hidden-command paths the transport uses).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { batch, firstFailure, parseBatch } from "../../../src/commands/batch.js";
import { Redacted, cmd, render, withStdin } from "../../../src/core/cmd.js";
import type { Cmd } from "../../../src/core/cmd.js";
import { shellText } from "../../../src/transport/shell-text.js";
import { text } from "./helpers.js";

const NONCE = "0123456789abcdef";
const M = `__berth_batch_${NONCE}__`;

/** Runs a command the way the transport does (hidden text on stdin when it has secrets). */
function runLocally(command: Cmd): { stdout: string; stderr: string; code: number } {
  const shell = shellText(command);
  const result = spawnSync("sh", ["-c", shell.text], { input: shell.stdin ?? "", encoding: "utf8" });
  return { stdout: result.stdout, stderr: result.stderr, code: result.status ?? -1 };
}

describe("batch script", () => {
  it("wraps each step in markers on both streams", () => {
    const batched = batch([cmd("mkdir", "-p", ".kamal"), { command: cmd("docker", "network", "create", "kamal"), allowFailure: true }], { nonce: NONCE });
    expect(text(batched)).toBe(
      [
        `printf '%s\\n' '${M} 0 begin' ; printf '%s\\n' '${M} 0 begin' >&2 ; ( mkdir -p .kamal ) </dev/null ; berth_rc=$? ;`,
        `printf '\\n%s\\n' "${M} 0 end $berth_rc" ; printf '\\n%s\\n' "${M} 0 end $berth_rc" >&2 ; [ $berth_rc -eq 0 ] || exit $berth_rc ;`,
        `printf '%s\\n' '${M} 1 begin' ; printf '%s\\n' '${M} 1 begin' >&2 ; ( docker network create kamal ) </dev/null ; berth_rc=$? ;`,
        `printf '\\n%s\\n' "${M} 1 end $berth_rc" ; printf '\\n%s\\n' "${M} 1 end $berth_rc" >&2 ; exit 0`,
      ].join(" "),
    );
  });

  it("rejects a bad nonce, no steps, and two steps reading stdin", () => {
    expect(() => batch([cmd("true")], { nonce: "xyz" })).toThrow(/nonce/);
    expect(() => batch([], { nonce: NONCE })).toThrow(/at least one step/);
    const reading = withStdin(cmd("cat"), Buffer.from("x"));
    expect(() => batch([reading, reading], { nonce: NONCE })).toThrow(/at most one step/);
  });
});

describe("parsing batch output", () => {
  const batched = batch([cmd("a"), cmd("b"), cmd("c")], { nonce: NONCE });

  it("attributes output and status to each step, exactly", () => {
    const stdout = `banner\n${M} 0 begin\nline one\nline two\n\n${M} 0 end 0\n${M} 1 begin\nno newline\n${M} 1 end 3\n`;
    const stderr = `${M} 0 begin\n\n${M} 0 end 0\n${M} 1 begin\noops\n\n${M} 1 end 3\n`;
    const results = parseBatch(batched, { stdout, stderr });
    expect(results).toEqual([
      { index: 0, label: undefined, ran: true, code: 0, stdout: "line one\nline two\n", stderr: "" },
      { index: 1, label: undefined, ran: true, code: 3, stdout: "no newline", stderr: "oops\n" },
      { index: 2, label: undefined, ran: false, code: undefined, stdout: "", stderr: "" },
    ]);
    expect(firstFailure(results, batched)?.index).toBe(1);
  });

  it("marks a step cut off mid-way", () => {
    const results = parseBatch(batched, { stdout: `${M} 0 begin\npartial`, stderr: "" });
    expect(results[0]).toMatchObject({ ran: true, code: undefined, stdout: "partial" });
  });
});

describe("running batches", () => {
  it("runs every step and splits their output", () => {
    const batched = batch([cmd("printf", "'a\\nb'"), cmd("echo", "err", ">&2"), cmd("echo", "'it''s'")], { nonce: NONCE });
    const result = runLocally(batched);
    expect(result.code).toBe(0);
    expect(parseBatch(batched, result).map(({ code, stdout, stderr }) => ({ code, stdout, stderr }))).toEqual([
      { code: 0, stdout: "a\nb", stderr: "" },
      { code: 0, stdout: "", stderr: "err\n" },
      { code: 0, stdout: "its\n", stderr: "" },
    ]);
  });

  it("stops at a failing step, but not at one allowed to fail", () => {
    const batched = batch(
      [{ command: cmd("sh", "-c", "'exit 4'"), allowFailure: true }, cmd("sh", "-c", "'echo no >&2; exit 5'"), cmd("echo", "never")],
      { nonce: NONCE },
    );
    const result = runLocally(batched);
    expect(result.code).toBe(5);
    const results = parseBatch(batched, result);
    expect(results.map((step) => [step.ran, step.code])).toEqual([
      [true, 4],
      [true, 5],
      [false, undefined],
    ]);
    expect(results[1]!.stderr).toBe("no\n");
    expect(firstFailure(results, batched)?.index).toBe(1);
  });

  it("contains a step's exit to its subshell", () => {
    const batched = batch([{ command: cmd("exit", "7"), allowFailure: true }, cmd("echo", "after")], { nonce: NONCE });
    const result = runLocally(batched);
    expect(parseBatch(batched, result).map((step) => step.stdout)).toEqual(["", "after\n"]);
    expect(result.code).toBe(0);
  });

  it("feeds stdin to the one step that has it, also when secrets hide the command text", () => {
    const reading = withStdin(cmd("cat"), new Redacted("the password"));
    const hidden = cmd("echo", new Redacted("visible-only-when-run", "[REDACTED]"));
    const batched = batch([cmd("cat"), reading, hidden], { nonce: NONCE });
    expect(render(batched)).toContain("echo [REDACTED]");
    const result = runLocally(batched);
    expect(parseBatch(batched, result).map((step) => step.stdout)).toEqual(["", "the password", "visible-only-when-run\n"]);
  });
});

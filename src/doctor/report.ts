// The doctor's report as text (a section per place, one line per check, the fix indented under
// a failure) and as one JSON document (`--output json`).
import type { Colors } from "../output/colors.js";
import { failures, type Check, type CheckGroup, type CheckStatus } from "./checks.js";

export interface DoctorReport {
  readonly ok: boolean;
  readonly seconds: number;
  readonly groups: readonly CheckGroup[];
}

export function doctorReport(groups: readonly CheckGroup[], seconds: number): DoctorReport {
  return { ok: failures(groups) === 0, seconds: Number(seconds.toFixed(3)), groups };
}

const MARKS: Record<CheckStatus, string> = { ok: "✓", fail: "✗", warn: "!", skip: "-" };

function mark(colors: Colors, status: CheckStatus): string {
  const symbol = MARKS[status];
  switch (status) {
    case "ok":
      return colors.green(symbol);
    case "fail":
      return colors.red(symbol);
    case "warn":
      return colors.yellow(symbol);
    default:
      return colors.dim(symbol);
  }
}

export function reportText(report: DoctorReport, colors: Colors): string {
  const width = Math.max(...report.groups.flatMap((group) => group.checks.map((check) => check.name.length)), 0);
  const lines: string[] = [];
  for (const group of report.groups) {
    lines.push(colors.bold(group.where === "local" ? "This machine" : group.where));
    for (const check of group.checks) lines.push(...checkLines(check, width, colors));
  }
  lines.push("", summary(report));
  return `${lines.join("\n")}\n`;
}

function checkLines(check: Check, width: number, colors: Colors): string[] {
  const text = check.status === "skip" ? colors.dim(check.detail) : check.detail;
  const lines = [`  ${mark(colors, check.status)} ${check.name.padEnd(width)}  ${text}`];
  if (check.fix !== undefined && check.status !== "ok") lines.push(`  ${" ".repeat(width + 4)}→ ${check.fix}`);
  return lines;
}

function summary(report: DoctorReport): string {
  const checks = report.groups.flatMap((group) => group.checks);
  const hosts = report.groups.filter((group) => group.where !== "local").length;
  const count = (status: CheckStatus): number => checks.filter((check) => check.status === status).length;
  const where = `on this machine and ${hosts} host${hosts === 1 ? "" : "s"} in ${report.seconds.toFixed(1)} s`;
  const warnings = count("warn") > 0 ? `, ${count("warn")} warning${count("warn") === 1 ? "" : "s"}` : "";
  if (report.ok) return `All ${checks.length - count("skip")} checks passed ${where}${warnings}.`;
  const skipped = count("skip") > 0 ? `, ${count("skip")} not checked` : "";
  return `${count("fail")} of ${checks.length} checks failed ${where}${warnings}${skipped}.`;
}

/** The JSON document: every check with where it ran. */
export function reportJson(report: DoctorReport): unknown {
  return {
    ok: report.ok,
    seconds: report.seconds,
    checks: report.groups.flatMap((group) =>
      group.checks.map((check) => ({ where: group.where, check: check.name, status: check.status, detail: check.detail, ...(check.fix === undefined ? {} : { fix: check.fix }) })),
    ),
  };
}

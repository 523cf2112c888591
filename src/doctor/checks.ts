// What `berth doctor` reports: one line per check, grouped by where it ran (this machine, then
// each host), each passed, failed (what to do then), a warning, or not checked (and why).

/** `warn` doesn't fail the run; `skip` is a check that couldn't run because an earlier one failed. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface Check {
  /** Short, the same on every host: `ssh`, `docker`, `disk`… */
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** For a failure or a warning: what to do about it. */
  readonly fix?: string;
}

export interface CheckGroup {
  /** `local` (this machine) or the host as the configuration names it. */
  readonly where: string;
  readonly checks: readonly Check[];
}

export function ok(name: string, detail: string): Check {
  return { name, status: "ok", detail };
}

export function fail(name: string, detail: string, fix: string): Check {
  return { name, status: "fail", detail, fix };
}

export function warn(name: string, detail: string, fix: string): Check {
  return { name, status: "warn", detail, fix };
}

export function skip(name: string, detail: string): Check {
  return { name, status: "skip", detail };
}

export function failures(groups: readonly CheckGroup[]): number {
  return groups.reduce((sum, group) => sum + group.checks.filter((check) => check.status === "fail").length, 0);
}

/** A failure's message, without a trailing period (it is embedded in a sentence). */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().replace(/\.$/, "");
}

// Configuration problems, collected rather than thrown one by one, so a user fixes every
// mistake in one pass. Each issue names Kamal's slash path (`servers/web/logging/driver`),
// says what is wrong in Kamal's words, and points at the file, line and column.
import { BerthError } from "../util/errors.js";

export interface ConfigIssue {
  /** Kamal's context path, e.g. `servers/web/logging/driver`; empty for file-level problems. */
  readonly path: string;
  /** What is wrong, e.g. `should be a string`, `unknown key: hostz`, `is required`. */
  readonly message: string;
  /** The file the offending key came from (a destination file for keys it sets). */
  readonly file: string;
  /** 1-based; 0 when the position is unknown. */
  readonly line: number;
  /** 1-based; 0 when the position is unknown. */
  readonly column: number;
  /** A likely intended key for a misspelled one, e.g. `hosts` for `hostz`. */
  readonly suggestion?: string;
}

/** One line per issue: `config/deploy.yml:4:5: servers/web: unknown key: hostz (did you mean "hosts"?)`. */
function formatIssue(issue: ConfigIssue): string {
  // Without a position (a missing file) the message names the file itself.
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}: ` : "";
  const what = issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
  const hint = issue.suggestion === undefined ? "" : ` (did you mean "${issue.suggestion}"?)`;
  return `${where}${what}${hint}`;
}

export class ConfigError extends BerthError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(ConfigError.describe(issues), "Kamal::ConfigurationError");
    this.issues = issues;
  }

  private static describe(issues: readonly ConfigIssue[]): string {
    if (issues.length === 1) return formatIssue(issues[0]!);
    const lines = issues.map((issue) => `  ${formatIssue(issue)}`);
    return [`${issues.length} configuration problems:`, ...lines].join("\n");
  }
}

/** Damerau-Levenshtein (optimal string alignment) distance: typos are mostly one edit or a swap. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key closest to an unknown one, when close enough to be a typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const lowered = unknown.toLowerCase().replace(/-/g, "_");
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(lowered, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(unknown.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

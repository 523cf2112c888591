// A problem a check found, located by its path in the raw settings; load.ts turns findings into
// `ConfigError` issues with file, line and column.
import type { Path } from "./yaml-source-map.js";

export interface Finding {
  readonly path: Path;
  readonly message: string;
  readonly at?: "key" | "value";
  readonly suggestion?: string;
  /** Where to point when it differs from `path` (Kamal names the section, we point at the key). */
  readonly locate?: Path;
}

/** Records a finding; `locate` points at a key other than `path`. */
export type AddFinding = (path: Path, message: string, locate?: Path) => void;

/** An empty list of findings and the function that adds to it. */
export function findingCollector(): { findings: Finding[]; add: AddFinding } {
  const findings: Finding[] = [];
  const add: AddFinding = (path, message, locate) => void findings.push({ path, message, ...(locate ? { locate, at: "key" as const } : {}) });
  return { findings, add };
}

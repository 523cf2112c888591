// The demo's last word: what runs where, which version served before and after the deploy, what
// the request loop saw, how long each step took, and how to go on from there.
import type { LoadResult } from "./load.js";

export interface DemoStep {
  readonly name: string;
  readonly seconds: number;
  /** "started", "reused", "skipped: already set up" … */
  readonly note?: string;
}

export interface DemoServer {
  readonly ip: string;
  /** Roles and accessories on it: ["web", "redis"]. */
  readonly runs: readonly string[];
}

export interface DemoSummary {
  readonly servers: readonly DemoServer[];
  /** Versions (commits) each server answered before and after the deploy, with their release. */
  readonly before: VersionServed;
  readonly after: VersionServed;
  readonly load: LoadResult;
  readonly steps: readonly DemoStep[];
  readonly projectDir: string;
  readonly url: string;
  /** How to run berth here when it isn't on the PATH ("node /…/berth.js"); undefined when it is. */
  readonly berthCommand: string | undefined;
}

export interface VersionServed {
  /** One entry per server, in server order; "" when it served nothing. */
  readonly versions: readonly string[];
  readonly release: number | undefined;
}

const short = (version: string): string => (version === "" ? "nothing" : version.slice(0, 12));

function servedLine({ versions, release }: VersionServed): string {
  const distinct = [...new Set(versions)];
  const what = distinct.length === 1 ? `${short(distinct[0]!)} on every server` : versions.map(short).join(", ");
  return release === undefined || distinct.every((version) => version === "") ? what : `${what} (release ${release})`;
}

export function formatSummary(summary: DemoSummary): string {
  const { load } = summary;
  const rows: [string, string][] = [
    ["servers", summary.servers.map((server) => `${server.ip} (${server.runs.join(", ")})`).join(", ")],
    ["before", servedLine(summary.before)],
    ["after", servedLine(summary.after)],
    [
      "requests",
      `${load.sent} sent during the deploy, ${load.failed} failed` +
        (load.versionsSeen.length > 0 ? `; answered by ${load.versionsSeen.map(short).join(" then ")}` : ""),
    ],
    ...summary.steps.map(
      (step, index): [string, string] => [index === 0 ? "steps" : "", `${step.name.padEnd(12)} ${`${step.seconds.toFixed(1)}s`.padStart(7)}${step.note ? `  ${step.note}` : ""}`],
    ),
    ["try it", `curl ${summary.url}`],
    ["", `cd ${summary.projectDir}`],
    ["", "berth details · berth app logs · berth rollback <version> · berth deploy after a commit"],
    ...(summary.berthCommand === undefined
      ? []
      : ([["", `(berth is \`${summary.berthCommand}\` here; \`npm link\` in Berth's repository puts it on the PATH)`]] as [string, string][])),
    ["remove it", "berth demo --down"],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`);
  const failures = load.failures.map((failure) => `  failed: ${failure}`);
  return [`The demo app is deployed: ${load.failed === 0 ? "no request failed during the deploy" : `${load.failed} requests failed`}.`, ...lines, ...failures, ""].join("\n");
}

/** The same facts for `--output json`. */
export function summaryDocument(summary: DemoSummary): Record<string, unknown> {
  return {
    servers: summary.servers,
    before: summary.before,
    after: summary.after,
    requests: { sent: summary.load.sent, failed: summary.load.failed, failures: summary.load.failures, versionsSeen: summary.load.versionsSeen },
    steps: summary.steps,
    url: summary.url,
    curl: `curl ${summary.url}`,
    projectDir: summary.projectDir,
    berth: summary.berthCommand ?? "berth",
  };
}

// Fake vault CLIs for adapter tests: small /bin/sh scripts placed on PATH that answer only the
// exact argument lists a scenario allows (optionally only in a given login state and only with
// given environment), print the canned output the real CLI prints, move between states
// (logged out → logged in) and log every call so tests can check what the CLI received.
// Unknown calls exit 99 with a message on stderr. The real child-process path is exercised.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FakeRule {
  /** The exact argv after the program name. */
  readonly args: readonly string[];
  readonly stdout?: string;
  readonly exit?: number;
  /** Only matches in this state (the scenario starts in `initialState`, default ""). */
  readonly when?: string;
  /** State to move to after answering. */
  readonly then?: string;
  /** Only matches when these variables have these values. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface FakeCall {
  readonly program: string;
  readonly args: readonly string[];
  /** The watched variables (session tokens) the CLI saw. */
  readonly env: Readonly<Record<string, string>>;
}

export interface FakeCli {
  readonly dir: string;
  /**
   * Environment for Secrets / fetch. PATH is only the fakes' directory: this machine has real
   * CLIs (gcloud, aws) that must never be reached, and an `auth login` would wait forever.
   */
  readonly env: Record<string, string>;
  calls(): FakeCall[];
  /** Every argv element of every call, joined: for "no secret in argv" assertions. */
  allArgs(): string;
  cleanup(): void;
}

const FIELD = "\x1f";
const PART = "\x1e";
const RECORD = "\x1d\n";

export function fakeCli(
  programs: Readonly<Record<string, readonly FakeRule[]>>,
  {
    initialState = "",
    env = {},
    watchEnv = ["BW_SESSION", "OP_SESSION_myaccount"],
  }: { initialState?: string; env?: Readonly<Record<string, string>>; watchEnv?: readonly string[] } = {},
): FakeCli {
  const dir = mkdtempSync(join(tmpdir(), "berth-fake-cli-"));
  writeFileSync(join(dir, "state"), initialState);
  for (const [program, rules] of Object.entries(programs)) {
    const path = join(dir, program);
    writeFileSync(path, script(dir, program, rules, watchEnv));
    chmodSync(path, 0o755);
  }
  const log = join(dir, "calls.log");
  const calls = (): FakeCall[] => {
    if (!existsSync(log)) return [];
    return readFileSync(log, "latin1")
      .split(RECORD)
      .filter((record) => record !== "")
      .map((record) => {
        const [program = "", args = "", envLines = ""] = record.split(PART);
        const env: Record<string, string> = {};
        for (const line of envLines.split(FIELD).filter((entry) => entry !== "")) {
          const at = line.indexOf("=");
          env[line.slice(0, at)] = line.slice(at + 1);
        }
        return { program, args: args === "" ? [] : args.split(FIELD).slice(0, -1), env };
      });
  };
  return {
    dir,
    env: { PATH: dir, HOME: dir, ...env },
    calls,
    allArgs: () => calls().map((call) => [call.program, ...call.args].join(" ")).join("\n"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// Only shell builtins, so each call costs one process (this machine's cores are shared).
function script(dir: string, program: string, rules: readonly FakeRule[], watchEnv: readonly string[]): string {
  const logEnv = watchEnv.map((name) => `[ -n "\${${name}+set}" ] && printf '%s${FIELD}' "${name}=$${name}"`).join("; ");
  const lines = [
    "#!/bin/sh",
    `dir=${sq(dir)}`,
    'state=; IFS= read -r state < "$dir/state"',
    `key=; for arg in "$@"; do key="$key$arg${FIELD}"; done; [ $# -eq 0 ] && key=${sq(FIELD)}`,
    `{ printf '%s' ${sq(program + PART)}; [ $# -gt 0 ] && printf '%s${FIELD}' "$@"; printf '${PART}'; ${logEnv || ":"}; printf '${RECORD.replace("\n", "\\n")}'; } >> "$dir/calls.log"`,
  ];
  for (const rule of rules) {
    const conditions = [`[ "$key" = ${sq(keyOf(rule.args))} ]`];
    if (rule.when !== undefined) conditions.push(`[ "$state" = ${sq(rule.when)} ]`);
    for (const [name, value] of Object.entries(rule.env ?? {})) conditions.push(`[ "\${${name}-}" = ${sq(value)} ]`);
    lines.push(`if ${conditions.join(" && ")}; then`);
    if (rule.then !== undefined) lines.push(`  printf '%s' ${sq(rule.then)} > "$dir/state"`);
    lines.push(`  printf '%s' ${sq(rule.stdout ?? "")}`, `  exit ${rule.exit ?? 0}`, "fi");
  }
  lines.push(`echo "fake ${program}: unexpected call [$*] in state [$state]" >&2`, "exit 99", "");
  return lines.join("\n");
}

function keyOf(args: readonly string[]): string {
  return args.length === 0 ? FIELD : args.map((arg) => arg + FIELD).join("");
}

function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

// Real Kamal 2.12 as a test oracle (../shared/kamal-2.12, see its README): `kamal` runs, and
// Kamal's own ERB step run on templates in one Kamal process. Tests fail (never skip) when it
// or Ruby is missing: .ci/run installs Debian's ruby, ruby-ed25519 and ruby-bcrypt-pbkdf.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, "../../..");

/** bin/kamal: $BERTH_KAMAL, else shared/kamal-2.12 beside the repository or one of its parents. */
export function kamalBin(): string {
  const explicit = process.env.BERTH_KAMAL;
  if (explicit !== undefined && explicit !== "") {
    if (!existsSync(explicit)) throw new Error(`BERTH_KAMAL=${explicit} does not exist`);
    return explicit;
  }
  for (let dir = REPO_ROOT; ; dir = dirname(dir)) {
    const candidate = join(dir, "../shared/kamal-2.12/bin/kamal");
    if (existsSync(candidate)) return resolve(candidate);
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    "Kamal 2.12 (the test oracle) was not found in ../shared/kamal-2.12 beside the repository or a parent: set BERTH_KAMAL to its bin/kamal",
  );
}

/** The environment both tools get: nothing from this process but PATH and a UTF-8 locale. */
export function baseEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8", ...extra };
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KamalOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Default 60 s; deploys on the test servers take longer. */
  readonly timeoutMs?: number;
}

// Kamal's error lines are coloured even off a TTY.
// eslint-disable-next-line no-control-regex -- stripping ANSI colours
const uncolour = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, "");

/** Runs real Kamal and waits for it. */
export function kamal(args: readonly string[], options: KamalOptions): RunResult {
  const result = spawnSync(kamalBin(), args, { cwd: options.cwd, env: options.env, encoding: "utf8", timeout: options.timeoutMs ?? 60_000 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: uncolour(result.stdout), stderr: uncolour(result.stderr) };
}

/** Runs real Kamal without blocking, so several runs can share the machine's cores. */
export function kamalAsync(args: readonly string[], options: KamalOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(kamalBin(), args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ status: code ?? -1, stdout: uncolour(stdout), stderr: uncolour(stderr) }));
  });
}

export interface ErbCase {
  readonly template: string;
  readonly env: Readonly<Record<string, string>>;
  /** Also load the result as YAML, as Kamal does (errors then carry Psych's line and column). */
  readonly yaml?: boolean;
}

export type ErbResult = { readonly output: string } | { readonly error: string; readonly line?: number; readonly column?: number };

/** Kamal's ERB step (and YAML load) on each template, in one Kamal process (erb-oracle.rb). */
export function kamalErb(cases: readonly ErbCase[]): ErbResult[] {
  const dir = mkdtempSync(join(tmpdir(), "berth-erb-oracle-"));
  try {
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, "config/deploy.yml"), "service: oracle\n");
    const casesPath = join(dir, "cases.json");
    const resultsPath = join(dir, "results.json");
    writeFileSync(casesPath, JSON.stringify(cases.map((item) => ({ template: item.template, env: item.env, yaml: item.yaml === true }))));
    const result = kamal(["config"], {
      cwd: dir,
      env: baseEnv({ RUBYOPT: `-r${join(HERE, "erb-oracle.rb")}`, BERTH_ERB_CASES: casesPath, BERTH_ERB_RESULTS: resultsPath }),
    });
    if (!existsSync(resultsPath)) throw new Error(`Kamal's ERB oracle wrote no results (exit ${result.status}):\n${result.stdout}${result.stderr}`);
    return JSON.parse(readFileSync(resultsPath, "utf8")) as ErbResult[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Runs the real `berth` executable (a private esbuild bundle of src/bin/berth.ts, so the test
// never races another one rebuilding dist/bundle) in a project directory, with a PATH whose
// ssh, scp, docker, git and vault CLIs only record how they were called and fail: whatever the
// executable would have run against a server, a registry or a vault shows up in the record.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");

/** Programs that stand in for the real ones: each appends `name args…` to $BERTH_RECORD and exits 1. */
export const RECORDED_PROGRAMS = ["ssh", "scp", "docker", "git", "op", "bw", "bws", "lpass", "aws", "doppler", "gcloud", "enpass-cli", "passbolt", "kamal"];

export interface Executable {
  /** The bundle's entry point. */
  readonly bin: string;
  /** The directory of recording programs, first on PATH. */
  readonly shims: string;
  readonly dispose: () => void;
}

/** Bundles the executable into dist/<name> and writes the recording programs. */
export function buildExecutable(name: string): Executable {
  execFileSync(process.execPath, [join(ROOT, "scripts/bundle.mjs"), name], { cwd: ROOT, stdio: "inherit" });
  const shims = mkdtempSync(join(tmpdir(), "berth-shims-"));
  for (const program of RECORDED_PROGRAMS) {
    const file = join(shims, program);
    writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' "${program} $*" >> "\${BERTH_RECORD:-/dev/null}"\nexit 1\n`);
    chmodSync(file, 0o755);
  }
  return {
    bin: join(ROOT, "dist", name, "berth.js"),
    shims,
    dispose: () => {
      rmSync(shims, { recursive: true, force: true });
      rmSync(join(ROOT, "dist", name), { recursive: true, force: true });
    },
  };
}

export interface RunOptions {
  readonly cwd: string;
  /** Added to a minimal environment (PATH with the recorders first, HOME in a scratch directory). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Called once the process started (e.g. to signal it later). */
  readonly onStart?: (pid: number) => void;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What the recording programs saw, one `name args…` per line. */
  readonly recorded: readonly string[];
  readonly durationMs: number;
  readonly timedOut: boolean;
}

/** Runs the executable once; never throws for the process's own failure. */
export function runExecutable(executable: Executable, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const scratch = mkdtempSync(join(tmpdir(), "berth-run-"));
  const home = join(scratch, "home");
  mkdirSync(home);
  const record = join(scratch, "record");
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [executable.bin, ...args], {
      cwd: options.cwd,
      env: { PATH: `${executable.shims}:/usr/local/bin:/usr/bin:/bin`, HOME: home, LANG: "C.UTF-8", NO_COLOR: "1", BERTH_RECORD: record, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 30_000);
    if (child.pid !== undefined) options.onStart?.(child.pid);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const recorded = existsSync(record) ? readFileSync(record, "utf8").split("\n").filter((line) => line !== "") : [];
      rmSync(scratch, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr, recorded, durationMs: performance.now() - started, timedOut });
    });
  });
}

/** A JavaScript stack frame, as an uncaught error prints them. */
export const STACK_FRAME = /^\s+at .+(?::\d+:\d+\)?|\(native\)|\(<anonymous>\))$/m;

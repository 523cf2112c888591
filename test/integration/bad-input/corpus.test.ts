// The bad-input corpus (test/corpus/bad-input/, one folder per case, see its README): each broken
// or hostile configuration, secrets file or command line is run through the real executable in a
// copy of its folder. Each must fail with exactly its expected message (naming what is wrong and
// where), exit non-zero, print no stack trace, run no program that Kamal would not run (ssh,
// docker, git and the vault CLIs only record their calls here) and leave the project as it was.
// BERTH_CORPUS_UPDATE=1 writes the messages seen into the cases instead (then review the diff).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STACK_FRAME, buildExecutable, runExecutable, type Executable } from "../../support/executable.js";

const CORPUS = join(import.meta.dirname, "../../corpus/bad-input");
const UPDATE = process.env.BERTH_CORPUS_UPDATE === "1";

/** A file made when the case runs: too big or too binary to keep in the repository as it is. */
type Generated = { repeat: string; times: number; before?: string; after?: string } | { base64: string } | { symlink: string } | { fifo: true };

interface Case {
  /** What is broken or hostile, in a few words. */
  readonly why: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Default 1; never 0. */
  readonly exit?: number;
  /** The whole of stderr. */
  readonly stderr?: string;
  /** A pattern for stderr, when only the file and the kind of error are pinned. */
  readonly stderrMatch?: string;
  /** What the recording programs must have seen (default: nothing). */
  readonly recorded?: readonly string[];
  readonly files?: Readonly<Record<string, Generated>>;
  /** The run must end within this time (resource exhaustion cases). */
  readonly maxMs?: number;
}

const names = readdirSync(CORPUS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

function readCase(name: string): Case {
  return JSON.parse(readFileSync(join(CORPUS, name, "case.json"), "utf8")) as Case;
}

function generate(project: string, files: Readonly<Record<string, Generated>>): void {
  for (const [path, spec] of Object.entries(files)) {
    const file = join(project, path);
    mkdirSync(dirname(file), { recursive: true });
    if ("symlink" in spec) symlinkSync(spec.symlink, file);
    else if ("fifo" in spec) execFileSync("mkfifo", [file]);
    else if ("base64" in spec) writeFileSync(file, Buffer.from(spec.base64, "base64"));
    else writeFileSync(file, `${spec.before ?? ""}${spec.repeat.repeat(spec.times)}${spec.after ?? ""}`);
  }
}

/** Every path under `root` with what it holds: a run must change none of it. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      const key = relative(root, path);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) out[key] = `-> ${readlinkSync(path)}`;
      else if (stat.isFIFO()) out[key] = "fifo";
      else if (stat.isDirectory()) {
        out[key] = `dir ${(stat.mode & 0o7777).toString(8)}`;
        walk(path);
      } else out[key] = `${(stat.mode & 0o7777).toString(8)} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
    }
  };
  walk(root);
  return out;
}

let executable: Executable;
const scratch = mkdtempSync(join(tmpdir(), "berth-corpus-"));

beforeAll(() => {
  executable = buildExecutable("test-bundle-corpus");
}, 120_000);

afterAll(() => {
  executable?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the bad-input corpus", () => {
  it("holds at least 150 cases, each with its expected message", () => {
    expect(names.length).toBeGreaterThanOrEqual(150);
    for (const name of names) {
      const spec = readCase(name);
      expect(spec.why, name).toBeTruthy();
      if (!UPDATE) expect(spec.stderr ?? spec.stderrMatch, name).toBeTruthy();
    }
  });

  it.concurrent.each(names)("%s", async (name) => {
    const spec = readCase(name);
    const project = join(scratch, name);
    cpSync(join(CORPUS, name), project, { recursive: true, filter: (source) => !source.endsWith("case.json") });
    generate(project, spec.files ?? {});
    const before = snapshot(project);

    const result = await runExecutable(executable, spec.args, { cwd: project, env: { VERSION: "corpus", ...spec.env }, timeoutMs: 60_000 });

    if (UPDATE && spec.stderrMatch === undefined) {
      writeFileSync(join(CORPUS, name, "case.json"), `${JSON.stringify({ ...spec, stderr: result.stderr }, null, 2)}\n`);
    }
    const what = `${name}: ${spec.why}\nstderr: ${result.stderr}\nstdout: ${result.stdout.slice(0, 500)}`;
    expect(result.timedOut, what).toBe(false);
    expect(spec.exit ?? 1, `${name}: a bad input must exit non-zero`).not.toBe(0);
    expect(result.code, what).toBe(spec.exit ?? 1);
    expect(result.stderr, what).not.toMatch(STACK_FRAME);
    expect(result.stdout, what).not.toMatch(STACK_FRAME);
    if (spec.stderrMatch !== undefined) expect(result.stderr, what).toMatch(new RegExp(spec.stderrMatch));
    else if (!UPDATE) expect(result.stderr, what).toBe(spec.stderr);
    // Commands run side by side (git's user.email and user.name) finish in any order: compare the set.
    expect([...result.recorded].sort(), what).toEqual([...(spec.recorded ?? [])].sort());
    expect(snapshot(project), what).toEqual(before);
    if (spec.maxMs !== undefined) expect(result.durationMs, what).toBeLessThan(spec.maxMs);
  });
});

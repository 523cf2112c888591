// Builds without a `builder.context` run in a clean clone of the committed HEAD, kept between
// builds under `$TMPDIR/kamal-clones/<svc>-<sha256(pwd)[0,13]>/` (shared with Kamal).
import { createHash } from "node:crypto";
import type { Configuration } from "../../config/index.js";
import { cmd, combine } from "../../core/cmd.js";
import type { Cmd, PartInput } from "../../core/cmd.js";
import { shellEscape } from "../../core/shellwords.js";
import { cloneCheck as checkOf, cloneUpdate, probe, type CloneCheck, type CloneUpdate, type Probe } from "../operation.js";
import { fileJoin, makeDirectory } from "../shared.js";

/** Facts about this machine the clone paths derive from (asked once by the orchestration). */
export interface CloneContext {
  /** `os.tmpdir()` (Ruby's Dir.tmpdir: `$TMPDIR` or `/tmp`). */
  readonly tmpdir: string;
  /** The working directory the command runs in. */
  readonly pwd: string;
  /** `git rev-parse --show-toplevel` */
  readonly gitRoot: string;
}

/** `$TMPDIR/kamal-clones/<svc>-<13 hex of sha256(pwd)>` */
export function cloneDirectory(config: Configuration, { tmpdir, pwd }: Pick<CloneContext, "tmpdir" | "pwd">): string {
  const pwdSha = createHash("sha256").update(pwd).digest("hex").slice(0, 13);
  return fileJoin(tmpdir, "kamal-clones", `${config.service}-${pwdSha}`);
}

/** `<clone dir>/<repo name>/<pwd relative to the repo root>`: where the build runs. */
export function buildDirectory(config: Configuration, context: CloneContext): string {
  const repoName = context.gitRoot.slice(context.gitRoot.lastIndexOf("/") + 1);
  const relative = context.pwd.startsWith(context.gitRoot) ? context.pwd.slice(context.gitRoot.length) : context.pwd;
  return fileJoin(cloneDirectory(config, context), repoName, relative);
}

const git = (path: string, ...parts: PartInput[]): Cmd => cmd("git", "-C", path, ...parts);

/** `git -C <clone dir> clone <repo root> --recurse-submodules` */
export function clone(config: Configuration, context: CloneContext): Cmd {
  return git(shellEscape(cloneDirectory(config, context)), "clone", shellEscape(context.gitRoot), "--recurse-submodules");
}

/** Brings an existing clone to `revision`: set-url, fetch, reset --hard, clean -fdx, submodules, gc --auto. */
export function cloneResetSteps(config: Configuration, context: CloneContext, revision: string): Cmd[] {
  const directory = shellEscape(buildDirectory(config, context));
  return [
    git(directory, "remote", "set-url", "origin", shellEscape(context.gitRoot)),
    git(directory, "fetch", "origin"),
    git(directory, "reset", "--hard", revision),
    git(directory, "clean", "-fdx"),
    git(directory, "submodule", "update", "--init"),
    git(directory, "gc", "--auto"),
  ];
}

/** `git -C <build dir> status --porcelain`: must print nothing for the clone to be trusted. */
export function cloneStatus(config: Configuration, context: CloneContext): Cmd {
  return git(shellEscape(buildDirectory(config, context)), "status", "--porcelain");
}

/** `git -C <build dir> rev-parse HEAD`: must equal the local revision. */
export function cloneRevision(config: Configuration, context: CloneContext): Cmd {
  return git(shellEscape(buildDirectory(config, context)), "rev-parse", "HEAD");
}

/** `git rev-parse HEAD`: the local revision. */
export function headRevision(): Probe {
  return probe(cmd("git rev-parse HEAD"));
}

/** `git rev-parse --show-toplevel HEAD && echo --- && git status --porcelain`: the repository root, its revision, and what is uncommitted. */
export function gitState(): Probe {
  return probe(cmd("git rev-parse --show-toplevel HEAD && echo --- && git status --porcelain"));
}

/** `mkdir -p <clone dir> && git -C <clone dir> clone <repo root> --recurse-submodules` */
export function cloneFresh(config: Configuration, context: CloneContext): CloneUpdate {
  return cloneUpdate(combine(makeDirectory(cloneDirectory(config, context)), clone(config, context)));
}

/** The reset steps as one command (`&&`). */
export function cloneReset(config: Configuration, context: CloneContext, revision: string): CloneUpdate {
  return cloneUpdate(combine(...cloneResetSteps(config, context, revision)));
}

/** `rm -rf <clone dir>`: a clone that can't be brought up to date is cloned again. */
export function removeClone(config: Configuration, context: CloneContext): CloneUpdate {
  return cloneUpdate(cmd("rm", "-rf", cloneDirectory(config, context)));
}

/** `<status> && echo --- && <revision>`: whether the clone is clean and at the local revision, in one process. */
export function cloneCheck(config: Configuration, context: CloneContext): CloneCheck {
  return checkOf(cmd(cloneStatus(config, context), "&&", "echo", "---", "&&", cloneRevision(config, context)));
}

/**
 * `git -C '<build dir>' status --porcelain --ignored && echo --- && git -C '<build dir>' rev-parse HEAD`:
 * nothing modified, untracked or ignored, and the revision (then the reset would change nothing).
 */
export function cloneAt(buildDirectory: string): Probe {
  const directory = `'${buildDirectory.replace(/'/g, "'\\''")}'`;
  return probe(cmd("git", "-C", directory, "status", "--porcelain", "--ignored", "&&", "echo", "---", "&&", "git", "-C", directory, "rev-parse", "HEAD"));
}

// Where a build runs: a fresh git clone of HEAD (Kamal's default), or the working tree with
// `builder.context`. The clone is refreshed in place when it can be, cloned again when it can't.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builder as builderCommands } from "../commands/index.js";
import type { CloneContext } from "../commands/builder/clone.js";
import { BerthError } from "../util/errors.js";
import { BuildError } from "./build-error.js";
import type { Run } from "./run.js";

export interface GitState {
  readonly root: string;
  readonly revision: string;
  readonly uncommitted: string;
}

export async function gitState(run: Run): Promise<GitState | undefined> {
  const result = await run.local(builderCommands.gitState(), { level: "debug", allowFailure: true });
  if (result.code !== 0) return undefined;
  const [head, uncommitted = ""] = result.stdout.split("---\n");
  const [root = "", revision = ""] = (head ?? "").trim().split("\n");
  return { root, revision, uncommitted: uncommitted.trimEnd() };
}

/** Where the build runs: the refreshed clone of HEAD, or the project directory. */
export async function prepareBuildDirectory(run: Run, known?: { git: GitState | undefined }): Promise<string> {
  const builder = run.config.builder;
  const git = known === undefined ? await gitState(run) : known.git;
  if (!builder.usesGitClone) {
    if (git !== undefined && git.uncommitted !== "") run.say(`Building with uncommitted changes:\n ${git.uncommitted}`, "yellow");
    return run.cwd;
  }
  if (git === undefined || git.revision === "") {
    throw new BuildError(`Can't build from a git clone: ${run.cwd} is not a git repository with commits (set builder/context to build the directory as it is)`);
  }
  if (git.uncommitted !== "") run.say(`Building from a local git clone, so ignoring these uncommitted changes:\n ${git.uncommitted}`, "yellow");
  const context: CloneContext = { tmpdir: tmpdir(), pwd: run.cwd, gitRoot: git.root };
  const buildDirectory = builderCommands.buildDirectory(run.config, context);
  try {
    await refreshClone(run, context, buildDirectory, git.revision);
    await validateClone(run, context, buildDirectory, git.revision);
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    run.output.error(`Error preparing clone: ${error.message}, deleting and retrying...`);
    await run.local(builderCommands.removeClone(run.config, context), { level: "debug" });
    await cloneFresh(run, context, buildDirectory);
    await validateClone(run, context, buildDirectory, git.revision);
  }
  return buildDirectory;
}

async function refreshClone(run: Run, context: CloneContext, buildDirectory: string, revision: string): Promise<void> {
  if (!existsSync(join(buildDirectory, ".git")) && !existsSync(buildDirectory)) return cloneFresh(run, context, buildDirectory);
  if (await cloneIsAt(run, buildDirectory, revision)) return;
  run.output.info(`Resetting local clone as \`${buildDirectory}\` already exists...`);
  const result = await run.local(builderCommands.cloneReset(run.config, context, revision), { allowFailure: true });
  if (result.code !== 0) throw new BuildError(`Failed to clone repo: ${result.stderr.trim() || result.stdout.trim()}`);
}

/**
 * The reset (fetch, reset --hard, clean -fdx, submodules, gc) is a no-op when the clone is at the
 * revision with nothing modified, untracked or ignored and no submodules: then it is skipped.
 */
async function cloneIsAt(run: Run, buildDirectory: string, revision: string): Promise<boolean> {
  if (existsSync(join(buildDirectory, ".gitmodules"))) return false;
  const result = await run.local(builderCommands.cloneAt(buildDirectory), { level: "debug", allowFailure: true });
  const [status = "x", head = ""] = result.stdout.split("---\n");
  return result.code === 0 && status.trim() === "" && head.trim() === revision;
}

async function cloneFresh(run: Run, context: CloneContext, buildDirectory: string): Promise<void> {
  run.output.info(`Cloning repo into build directory \`${buildDirectory}\`...`);
  await run.local(builderCommands.cloneFresh(run.config, context));
}

async function validateClone(run: Run, context: CloneContext, buildDirectory: string, revision: string): Promise<void> {
  const result = await run.local(builderCommands.cloneCheck(run.config, context), { level: "debug", allowFailure: true });
  if (result.code !== 0) throw new BuildError(`Clone in ${buildDirectory} can't be read: ${result.stderr.trim()}`);
  const [status = "", cloned = ""] = result.stdout.split("---\n");
  if (status.trim() !== "") throw new BuildError(`Clone in ${buildDirectory} is dirty, ${status.trim()}`);
  if (cloned.trim() !== revision) {
    throw new BuildError(`Clone in ${buildDirectory} is not on the correct revision, expected \`${revision}\` but got \`${cloned.trim()}\``);
  }
}

// The app version Kamal deploys: `--version`, else `$VERSION`, else the git revision of HEAD
// (`HEAD` itself in a repository with no commit yet, as Kamal has it).
// A dirty working tree gets `_uncommitted_<16 hex>` appended, but only when the build uses
// the working tree (`builder.context` set): a build from a fresh git clone ships HEAD exactly.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { BerthError } from "../util/errors.js";

export interface ResolveVersionOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `--version`. */
  readonly explicit?: string;
  /** Whether the build clones the repository (no `builder.context`). */
  readonly usesGitClone: boolean;
}

function git(cwd: string, args: readonly string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
}

// Docker's tag grammar: the version names the image tag and the containers.
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Refuses a version Docker could never tag an image with (`source` names where it came from). */
export function checkVersion(version: string, source: string): void {
  if (DOCKER_TAG.test(version)) return;
  throw new BerthError(
    `${source} ${JSON.stringify(version)} can't be a version: Docker tags are 1 to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
    "Berth::ConfigurationError",
  );
}

export function resolveVersion(options: ResolveVersionOptions): string {
  if (options.explicit !== undefined && options.explicit !== "") return options.explicit;
  const fromEnv = (options.env ?? process.env).VERSION;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;

  // One git process in the common case (each costs tens of milliseconds before anything starts).
  const gitEnv = { ...process.env, LC_ALL: "C" };
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: options.cwd, encoding: "utf8", env: gitEnv });
  // Before the first commit `git rev-parse HEAD` fails but prints HEAD, which Kamal takes as the
  // version; only outside a repository (where `git rev-parse` fails too) is there none.
  const revision = head.error === undefined ? head.stdout.trim() : "";
  if (head.status !== 0) {
    const inRepository = head.error === undefined && spawnSync("git", ["rev-parse"], { cwd: options.cwd, env: gitEnv, stdio: "ignore" }).status === 0;
    if (!inRepository || revision === "") throw new BerthError(`Can't use commit hash as version, no git repository found in ${options.cwd}`);
  }
  // A build from a fresh clone ships HEAD whatever the working tree holds: no need to look.
  if (options.usesGitClone) return revision;
  const dirty = git(options.cwd, ["status", "--porcelain"]) !== "";
  return dirty ? `${revision}_uncommitted_${randomBytes(8).toString("hex")}` : revision;
}

// The benchmarks' app projects are git repositories (builds clone HEAD): git as a bench user.
import { execFileSync } from "node:child_process";

/** Runs git in `dir` as the bench's committer; its trimmed output. */
export function projectGit(dir) {
  return (...args) => execFileSync("git", ["-c", "user.name=Bench", "-c", "user.email=bench@example.com", ...args], { cwd: dir, encoding: "utf8" }).trim();
}

/** `git init` (when `init`), then everything in `dir` committed with `message`; the new HEAD. */
export function commitAll(dir, message, { init = false } = {}) {
  const git = projectGit(dir);
  if (init) git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", message);
  return git("rev-parse", "HEAD");
}

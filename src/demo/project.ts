// The demo's copy of the example app (examples/hello in the package): a git repository beside the
// test servers' files, as Berth builds from a clean clone of the committed code and names each
// version by its commit. Each demo run commits one more release to deploy.
import { execFile } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "../util/package-root.js";
import { EXAMPLE_NAME } from "./names.js";

const run = promisify(execFile);

/** The example's config names the test bed's default client files; a moved bed gets its own. */
const DEFAULT_SSH_CONFIG = "/tmp/berth-testbed/demo/client/ssh_config";
const RELEASE_FILE = "release.txt";
const IDENTITY = {
  GIT_AUTHOR_NAME: "Berth demo",
  GIT_AUTHOR_EMAIL: "demo@berth.invalid",
  GIT_COMMITTER_NAME: "Berth demo",
  GIT_COMMITTER_EMAIL: "demo@berth.invalid",
};

export interface DemoProject {
  readonly dir: string;
  /** True when an earlier run made it. */
  readonly reused: boolean;
}

export function exampleDirectory(): string {
  return join(packageRoot(), "examples", EXAMPLE_NAME);
}

/** The project in `dir`: made from the example the first time (release 1 committed), else as it is. */
export async function ensureProject(dir: string, sshConfigPath: string): Promise<DemoProject> {
  if (existsSync(join(dir, ".git"))) return { dir, reused: true };
  cpSync(exampleDirectory(), dir, { recursive: true });
  const deployFile = join(dir, "config/deploy.yml");
  writeFileSync(deployFile, readFileSync(deployFile, "utf8").replace(DEFAULT_SSH_CONFIG, sshConfigPath));
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "hello: release 1");
  return { dir, reused: false };
}

/** The release number release.txt names ("… release 3" → 3). */
export function currentRelease(dir: string): number {
  const match = /release (\d+)/.exec(readFileSync(join(dir, RELEASE_FILE), "utf8"));
  return match ? Number(match[1]) : 1;
}

/** Commits the next release (a new line on the page); returns its number. */
export async function commitNextRelease(dir: string): Promise<number> {
  const next = currentRelease(dir) + 1;
  writeFileSync(join(dir, RELEASE_FILE), `Hello from Berth: release ${next}\n`);
  await git(dir, "commit", "-q", "-a", "-m", `hello: release ${next}`);
  return next;
}

export async function headCommit(dir: string): Promise<string> {
  return (await git(dir, "rev-parse", "HEAD")).trim();
}

async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", ["-c", "commit.gpgsign=false", ...args], { cwd: dir, env: { ...process.env, ...IDENTITY } });
  return stdout;
}

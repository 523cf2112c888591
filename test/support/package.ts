// The npm package as a user gets it: packed from this checkout (built already) and installed
// globally into a scratch prefix. It has no dependencies, so the install needs no network.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "../..");
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

export interface InstalledPackage {
  readonly tarball: string;
  readonly prefix: string;
  /** <prefix>/lib/node_modules/berth */
  readonly directory: string;
  /** <prefix>/bin/berth */
  readonly berth: string;
}

export function npm(args: readonly string[], cwd: string): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
}

export function packAndInstall(scratch: string): InstalledPackage {
  for (const built of ["dist/bundle/berth.js", "proxy/dist/bin/kamal-proxy.js"]) {
    if (!existsSync(join(REPO_ROOT, built))) throw new Error(`${built} is missing: run npm run build first`);
  }
  // --ignore-scripts: the package is built already (prepack would build it again).
  const name = npm(["pack", "--ignore-scripts", "--silent", "--pack-destination", scratch], REPO_ROOT).trim().split("\n").at(-1)!;
  const tarball = join(scratch, name);
  const prefix = join(scratch, "prefix");
  npm(["install", "--global", "--prefix", prefix, "--offline", "--no-audit", "--no-fund", tarball], scratch);
  return { tarball, prefix, directory: join(prefix, "lib/node_modules/berth"), berth: join(prefix, "bin/berth") };
}

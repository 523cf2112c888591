// Versions Berth reports and compares against. BERTH_VERSION comes from package.json so a
// release only bumps one place; KAMAL_COMPAT_VERSION is the Kamal release whose files and
// server layout Berth reproduces (compared with `minimum_version` in deploy.yml).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./util/package-root.js";

/** The Kamal release Berth is compatible with. */
export const KAMAL_COMPAT_VERSION = "2.12.0";

function readPackageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as {
    version?: unknown;
  };
  return typeof manifest.version === "string" ? manifest.version : "0.0.0";
}

/** Berth's own version, from package.json. */
export const BERTH_VERSION: string = readPackageVersion();

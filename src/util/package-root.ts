// The berth package's root directory (package.json, templates/, proxy/), found by walking up
// from the calling module, so that the compiled modules (dist/…) and the bundle (dist/bundle/…)
// find the same files whatever their depth.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "berth";

let found: string | undefined;

export function packageRoot(): string {
  if (found !== undefined) return found;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === PACKAGE_NAME) {
      found = directory;
      return directory;
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`berth: no package.json named "${PACKAGE_NAME}" above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
}

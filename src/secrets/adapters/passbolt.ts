// Passbolt (`passbolt`, go-passbolt-cli, configured beforehand), as Kamal's adapter: `passbolt
// verify` checks the login; secrets are resource names, optionally under a folder path
// (`folder/sub/NAME` or `--from folder/sub`). Folders are resolved by name level by level with
// `passbolt list folders --filter …`, then one `passbolt list resources --filter … --folder …
// --json` fetches them all. Results are keyed by resource name.

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { asArray, emptyValues, ensureInstalled, isRecord, parseJson, prefixed, rubySplit, secretsError, stringField } from "./base.js";

const LABEL = "Passbolt";

interface Folder {
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
}

export const passbolt: SecretsAdapter = {
  label: LABEL,
  requiresAccount: false,
  fetch(secrets: readonly string[], { from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["passbolt", "--version"], "Passbolt CLI");
    if (context.run({ argv: ["passbolt", "verify"], stderr: "ignore" }).status !== 0) throw secretsError("Failed to login to Passbolt");
    const paths = prefixed(secrets, from);
    if (paths.length === 0) throw secretsError("Passbolt: no secrets given to fetch");

    const names = paths.map((path) => rubySplit(path, "/").at(-1) ?? "");
    const folders = resolveFolders(context, paths);
    const conditions: string[] = [];
    for (const path of paths) {
      const parts = rubySplit(path, "/");
      const name = parts.at(-1) ?? "";
      if (parts.length <= 1) {
        conditions.push(`Name == ${quoted(name)}`);
        continue;
      }
      // The deepest folder along the path that was found (Kamal skips the secret if none was).
      let folder: Folder | undefined;
      const prefix: string[] = [];
      for (const segment of parts.slice(0, -1)) {
        prefix.push(segment);
        folder = folders.find((candidate) => folderPath(candidate, folders) === prefix.join("/")) ?? folder;
      }
      if (folder !== undefined) conditions.push(`(Name == ${quoted(name)} && FolderParentID == ${quoted(folder.id)})`);
    }

    const argv = ["passbolt", "list", "resources"];
    if (conditions.length > 0) argv.push("--filter", conditions.join(" || "));
    for (const folder of folders) argv.push("--folder", folder.id);
    argv.push("--json");
    const listed = context.run({ argv });
    if (listed.status !== 0) throw secretsError(`Could not read ${paths.join(", ")} from Passbolt`);

    const results = emptyValues();
    for (const item of asArray(parseJson(listed.stdout, LABEL, "passbolt list resources"), LABEL, "passbolt list resources")) {
      const name = stringField(item, "name");
      if (name !== undefined) results[name] = stringField(item, "password") ?? null;
    }
    const missing = names.filter((name) => !(name in results));
    if (missing.length > 0) throw secretsError(`Could not find the following secrets in Passbolt: ${missing.join(", ")}`);
    return results;
  },
};

/** Every folder named on the way to a secret: top-level ones by name, nested ones by parent id. */
function resolveFolders(context: AdapterContext, paths: readonly string[]): Folder[] {
  const folderPaths = unique(paths.filter((path) => path.includes("/")).map((path) => rubySplit(path, "/").slice(0, -1)));
  if (folderPaths.length === 0) return [];

  const parents = [...new Set(folderPaths.map((path) => path[0] ?? ""))];
  const topLevel = listFolders(context, parents.map((name) => `Name == ${quoted(name)}`).join(" || "));
  if (topLevel === null) throw secretsError("Could not read folders from Passbolt");
  const all = [...topLevel];

  for (const path of folderPaths) {
    if (path.length <= 1) continue;
    let parent = topLevel.find((folder) => folder.name === path[0]);
    if (parent === undefined) continue;
    for (const segment of path.slice(1)) {
      const nested = listFolders(context, `Name == ${quoted(segment)} && FolderParentID == ${quoted(parent.id)}`);
      if (nested === null) continue;
      if (nested.length === 0) break;
      all.push(...nested);
      parent = nested[0]!;
    }
  }

  const found = new Set(all.map((folder) => folderPath(folder, all)));
  const missing = folderPaths.map((path) => path.join("/")).filter((path) => !found.has(path));
  if (missing.length > 0) throw secretsError(`Could not find the following folders in Passbolt: ${missing.join(", ")}`);
  return all;
}

function listFolders(context: AdapterContext, filter: string): Folder[] | null {
  const result = context.run({ argv: ["passbolt", "list", "folders", "--filter", filter, "--json"] });
  if (result.status !== 0) return null;
  return asArray(parseJson(result.stdout, LABEL, "passbolt list folders"), LABEL, "passbolt list folders")
    .filter(isRecord)
    .map((folder) => ({
      id: String(folder.id ?? ""),
      name: String(folder.name ?? ""),
      parentId: String(folder.folder_parent_id ?? ""),
    }));
}

function folderPath(folder: Folder, all: readonly Folder[]): string {
  const names = [folder.name];
  let current = folder;
  const seen = new Set<string>([folder.id]);
  while (current.parentId !== "") {
    const parent = all.find((candidate) => candidate.id === current.parentId);
    if (parent === undefined || seen.has(parent.id)) break;
    seen.add(parent.id);
    names.unshift(parent.name);
    current = parent;
  }
  return names.join("/");
}

/** A string literal in passbolt's filter language (what Kamal's `.inspect` gives for plain names). */
function quoted(text: string): string {
  return JSON.stringify(text);
}

function unique(paths: readonly string[][]): string[][] {
  const seen = new Map<string, string[]>();
  for (const path of paths) seen.set(path.join("\0"), path);
  return [...seen.values()];
}

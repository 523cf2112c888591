// `berth init`: copies the Kamal-style scaffold from templates/init/ into the project, the way
// `kamal init` does: config/deploy.yml (never overwritten), .kamal/secrets (kept if present) and
// the sample hooks (only when .kamal/hooks does not exist yet), hooks made executable.

import { chmod, copyFile, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { BerthError } from "../../util/errors.js";
import { packageRoot } from "../../util/package-root.js";
import type { CommandContext } from "../../core/context.js";

export interface InitOptions {
  /** Kamal's --bundle (Gemfile + binstub); accepted for compatibility, nothing to do for Berth. */
  readonly bundle: boolean;
}

/** templates/init/ of the Berth package: two levels above src/cli/actions and dist/cli/actions. */
const DEFAULT_TEMPLATE_DIR = join(packageRoot(), "templates", "init");

const DEPLOY_FILE = join("config", "deploy.yml");

/**
 * The `registry:` section `berth init` writes. Undefined keeps the template's (a hosted registry
 * with a token from .kamal/secrets); a registry-free mode replaces it here with its own block, one
 * place to change the default.
 */
export const INIT_REGISTRY_SECTION: string | undefined = undefined;

export interface ScaffoldOptions {
  /** Replaces the template's top-level `registry:` section (with the comment lines above it). */
  readonly registrySection?: string | undefined;
}
const SECRETS_FILE = join(".kamal", "secrets");
const HOOKS_DIR = join(".kamal", "hooks");

export async function init(context: CommandContext, options: InitOptions): Promise<void> {
  const messages = await scaffold(context.cwd, DEFAULT_TEMPLATE_DIR, { registrySection: INIT_REGISTRY_SECTION });
  for (const message of messages) context.output.print(message);
  if (options.bundle) {
    context.output.print("Skipped --bundle: it adds Kamal to a Ruby Gemfile; Berth is installed with npm");
  }
}

/** Copies the templates into `projectDir`; returns what `kamal init` would print. */
export async function scaffold(projectDir: string, templateDir: string, options: ScaffoldOptions = {}): Promise<string[]> {
  const templates = await listFiles(templateDir);
  const messages: string[] = [];

  const deployFile = join(projectDir, DEPLOY_FILE);
  if (templates.includes(DEPLOY_FILE)) {
    if (await exists(deployFile)) {
      messages.push("Config file already exists in config/deploy.yml (remove first to create a new one)");
    } else {
      await copyTemplate(templateDir, projectDir, DEPLOY_FILE);
      if (options.registrySection !== undefined) {
        await writeFile(deployFile, replaceTopLevelSection(await readFile(deployFile, "utf8"), "registry", options.registrySection));
      }
      messages.push("Created configuration file in config/deploy.yml");
    }
  }

  if (templates.includes(SECRETS_FILE) && !(await exists(join(projectDir, SECRETS_FILE)))) {
    await copyTemplate(templateDir, projectDir, SECRETS_FILE);
    messages.push("Created .kamal/secrets file");
  }

  const hooks = templates.filter((file) => file.startsWith(HOOKS_DIR + sep));
  if (hooks.length > 0 && !(await exists(join(projectDir, HOOKS_DIR)))) {
    for (const hook of hooks) {
      await copyTemplate(templateDir, projectDir, hook);
      await chmod(join(projectDir, hook), 0o755);
    }
    messages.push("Created sample hooks in .kamal/hooks");
  }

  // Anything else the templates hold is copied too, never over an existing file.
  const known = new Set([DEPLOY_FILE, SECRETS_FILE, ...hooks]);
  for (const file of templates.filter((template) => !known.has(template))) {
    if (await exists(join(projectDir, file))) continue;
    await copyTemplate(templateDir, projectDir, file);
    messages.push(`Created ${file.split(sep).join("/")}`);
  }
  return messages;
}

/**
 * `text` with the top-level `key:` section (its key, the indented lines under it, and the comment
 * lines right above it) replaced by `section`; unchanged when there is no such key.
 */
export function replaceTopLevelSection(text: string, key: string, section: string): string {
  const lines = text.split("\n");
  const keyLine = lines.findIndex((line) => line.startsWith(`${key}:`));
  if (keyLine === -1) return text;
  let start = keyLine;
  while (start > 0 && lines[start - 1]!.startsWith("#")) start -= 1;
  let end = keyLine + 1;
  while (end < lines.length && (lines[end] === "" || /^\s/.test(lines[end]!))) end += 1;
  while (end > keyLine + 1 && lines[end - 1] === "") end -= 1; // the blank lines stay between sections
  return [...lines.slice(0, start), ...section.replace(/\n$/, "").split("\n"), ...lines.slice(end)].join("\n");
}

async function copyTemplate(templateDir: string, projectDir: string, file: string): Promise<void> {
  const target = join(projectDir, file);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(join(templateDir, file), target);
  // Keep the template's mode (hook samples are executable), as Kamal's `cp preserve: true`.
  await chmod(target, (await stat(join(templateDir, file))).mode & 0o777);
}

async function listFiles(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new BerthError(`Berth's init templates are missing: ${root} does not exist`);
    }
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

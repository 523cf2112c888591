// An accessory's files and directories on its hosts (Kamal's `accessory upload` and
// `accessory directories`). Files ending in `erb` are rendered here first, with the accessory's
// env in ENV; every body travels on standard input (never in arguments or logs) into a file that
// has its mode and owner before it appears under its name.
import { readFileSync } from "node:fs";
import { accessory as accessoryCommands, render, type Cmd } from "../commands/index.js";
import { changeMode, changeOwner } from "../commands/shared.js";
import type { BatchStep } from "../commands/batch.js";
import { renderErb, type Accessory, type AccessoryFile } from "../config/index.js";
import { BerthError } from "../util/errors.js";
import type { Run } from "./run.js";

/** A file ready to upload: where, its bytes (never shown: they may hold rendered secrets) and how. */
export interface PreparedFile {
  readonly file: AccessoryFile;
  readonly body: Buffer;
  /** Octal mode for the upload; undefined when `mode` is symbolic (then chmod runs after). */
  readonly mode: number | undefined;
}

/** Reads (and renders) every file of the accessory, once, before anything is uploaded. */
export async function prepareFiles(run: Run, accessory: Accessory): Promise<PreparedFile[]> {
  const files = accessory.files;
  if (files.length === 0) return [];
  const env = files.some((file) => file.erb) ? await renderEnvironment(run, accessory) : {};
  return files.map((file) => {
    let content: Buffer;
    try {
      content = readFileSync(file.local);
    } catch {
      throw new BerthError(`Missing file: ${file.local} (accessories/${accessory.name}/files)`);
    }
    const body = file.erb ? Buffer.from(renderErb(content.toString("utf8"), { file: file.local, env, cwd: run.cwd }), "utf8") : content;
    const mode = /^[0-7]{1,4}$/.test(file.mode) ? Number.parseInt(file.mode, 8) : undefined;
    return { file, body, mode };
  });
}

/**
 * ENV for templates: this process's, then the accessory's clear env, then its secret env (Kamal
 * puts only the clear env there; the secrets are added so a template can hold a password
 * without exporting it in the shell, and the rendered file never leaves stdin).
 */
async function renderEnvironment(run: Run, accessory: Accessory): Promise<Record<string, string | undefined>> {
  const { clear, secrets } = accessory.resolvedEnv();
  const secretValues: Record<string, string> = {};
  if (Object.keys(secrets).length > 0) {
    const lookup = await run.secrets();
    for (const [name, secret] of Object.entries(secrets)) secretValues[name] = lookup.get(secret);
  }
  return { ...run.env, ...clear, ...secretValues };
}

/** Uploads the files to a host: directories first (one round trip), then one upload per file. */
export async function uploadFiles(run: Run, host: string, files: readonly PreparedFile[]): Promise<void> {
  if (files.length === 0) return;
  const directories = new Map<string, Cmd>();
  for (const { file } of files) for (const command of accessoryCommands.fileCommands(file).before) directories.set(render(command), command);
  await run.batch(host, [...directories.values()]);
  for (const { file, body, mode } of files) {
    const owner = file.owner !== undefined && /^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)?$/.test(file.owner) ? file.owner : undefined;
    await run.upload(host, body, file.hostPath, { mode: mode ?? 0o600, ...(owner === undefined ? {} : { owner }) });
    const after: Cmd[] = [
      ...(mode === undefined ? [changeMode(file.hostPath, file.mode)] : []),
      ...(file.owner !== undefined && owner === undefined ? [changeOwner(file.hostPath, file.owner)] : []),
    ];
    if (after.length > 0) await run.batch(host, after);
  }
}

/** `mkdir -p`, `chmod`, `chown` for every directory of the accessory. */
export function directorySteps(accessory: Accessory): BatchStep[] {
  return accessory.directories.flatMap((directory) =>
    accessoryCommands.directoryCommands(directory).map((command) => ({ command, label: `directory ${directory.hostPath}` })),
  );
}

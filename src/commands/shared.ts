// Small building blocks shared by the command builders (Kamal's Commands::Base helpers).
import { cmd, optionize, pipe } from "../core/cmd.js";
import type { Cmd, Part, PartInput } from "../core/cmd.js";

/** `docker …` */
export const docker = (...parts: PartInput[]): Cmd => cmd("docker", ...parts);

/** `xargs <command>`: runs the command with the ids read from standard input. */
export const xargs = (command: Cmd): Cmd => cmd("xargs", command);

/** `mkdir -p <path>` */
export const makeDirectory = (path: string): Cmd => cmd("mkdir", "-p", path);

/** `mkdir -p <dirname of file>` */
export const makeDirectoryFor = (file: string): Cmd => makeDirectory(dirname(file));

/** `chmod <mode> <path>` */
export const changeMode = (path: string, mode: string | number): Cmd => cmd("chmod", mode, path);

/** `chown <owner> <path>` */
export const changeOwner = (path: string, owner: string): Cmd => cmd("chown", owner, path);

/** `rm -r <path>` */
export const removeDirectory = (path: string): Cmd => cmd("rm", "-r", path);

/** `rm <path>` */
export const removeFile = (path: string): Cmd => cmd("rm", path);

/** Ruby's Pathname#dirname for the relative and absolute paths Kamal uses. */
export function dirname(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const index = trimmed.lastIndexOf("/");
  if (index === -1) return ".";
  if (index === 0) return "/";
  return trimmed.slice(0, index);
}

/** `docker container ls [--all] --filter 'name=^<name>$' --quiet`: the id of a container by exact name. */
export function containerIdFor(containerName: string, { onlyRunning = false }: { onlyRunning?: boolean } = {}): Cmd {
  return docker("container", "ls", onlyRunning ? null : "--all", "--filter", `'name=^${containerName}$'`, "--quiet");
}

/** `… | grep '<text>'[ options]` as Kamal appends it to log commands (single quotes, not escaped). */
export function grepSingleQuoted(grep: string | undefined, grepOptions?: string): Cmd | null {
  if (grep === undefined) return null;
  return cmd("grep", `'${grep}'`, grepOptions === undefined || grepOptions === "" ? null : grepOptions);
}

/** `… | grep "<text>"[ options]` as Kamal appends it to followed logs (double quotes, not escaped). */
export function grepDoubleQuoted(grep: string | undefined, grepOptions?: string): Cmd | null {
  if (grep === undefined) return null;
  return cmd("grep", `"${grep}"`, grepOptions === undefined || grepOptions === "" ? null : grepOptions);
}

/** `pipe` that skips absent steps, as Kamal's combine drops nils. */
export function pipeSome(...commands: (Cmd | null | undefined | false)[]): Cmd {
  return pipe(...commands.filter((command): command is Cmd => Boolean(command)));
}

/** A value of a `kamal-proxy` flag: lists repeat the flag, `true` is a bare flag. */
export type FlagValue = string | number | boolean | readonly (string | number)[] | null | undefined;

/**
 * Kamal's `optionize(…, with: "=")` for kamal-proxy flags: `--key="value"`, `true` → `--key`,
 * `false` → `--key="false"` (Kamal escapes it like any value), lists repeat the flag, null and
 * empty lists are left out. The shared `optionize` drops `false`, which would lose
 * `--buffer-requests="false"`.
 */
export function proxyFlags(options: Readonly<Record<string, FlagValue>>): Part[] {
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === null || value === undefined) continue;
    normalized[key] = value === false ? "false" : value;
  }
  return optionize(normalized, { with: "=" });
}

/**
 * The same flags as the proxy's own CLI receives them once a shell has removed Kamal's quotes:
 * `--key=value`, `true` → `--key`, `false` → `--key=false`, lists repeat the flag.
 */
export function proxyArgv(options: Readonly<Record<string, FlagValue>>): string[] {
  const argv: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) argv.push(item === true ? `--${key}` : `--${key}=${String(item)}`);
  }
  return argv;
}

/** Ruby's File.join: parts joined with one `/` between them (an empty last part leaves a trailing `/`). */
export function fileJoin(...parts: readonly string[]): string {
  return parts.reduce((joined, part, index) => {
    if (index === 0) return part;
    return `${joined.replace(/\/+$/, "")}/${part.replace(/^\/+/, "")}`;
  }, "");
}

/** Lowercase hex of a given length, checked (random parts are passed in so output is deterministic). */
export function requireHex(value: string, length: number, what: string): string {
  if (!new RegExp(`^[0-9a-f]{${length}}$`).test(value)) {
    throw new TypeError(`${what} must be ${length} lowercase hex digits, got "${value}"`);
  }
  return value;
}

// Limits on what Berth reads before it trusts it: configuration and secrets files, what their
// commands print, and how far YAML aliases and nesting may go. Psych never expands aliases (it
// shares the objects), so a few lines of anchors ("billion laughs") cost Kamal nothing but would
// expand to gigabytes here; real files are a few kilobytes and a few levels deep, far below these.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { ConfigError } from "./errors.js";

export const LIMITS = {
  /** A configuration or secrets file, and a configuration file after ERB. */
  fileBytes: 1024 * 1024,
  /** What one command (ERB `%x()`, secrets `$(…)`) may print. */
  commandOutputBytes: 1024 * 1024,
  /** Values in one YAML document once its aliases are expanded. */
  yamlValues: 50_000,
  /** Maps and lists inside each other. */
  yamlDepth: 64,
} as const;

/** "1 MiB" */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function at(file: string, text: string, index: number, message: string): ConfigError {
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  const column = index - (before.lastIndexOf("\n") + 1) + 1;
  return new ConfigError([{ path: "", message, file, line, column }]);
}

/** A file (`what` names it, e.g. "Configuration file config/deploy.yml") over the size limit. */
export function tooBig(size: number, file: string, what: string): ConfigError {
  return new ConfigError([{ path: "", message: `${what} is ${size} bytes, more than the ${formatBytes(LIMITS.fileBytes)} Berth reads`, file, line: 0, column: 0 }]);
}

/** Decodes a file as UTF-8, refusing invalid bytes with the file and position named (Psych refuses them too). */
export function decodeText(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // The first byte where the text re-encoded differs is the first invalid one.
    const reencoded = Buffer.from(new TextDecoder("utf-8").decode(bytes));
    let offset = 0;
    while (offset < bytes.length && bytes[offset] === reencoded[offset]) offset++;
    const valid = new TextDecoder("utf-8").decode(bytes.subarray(0, offset));
    // Back off a partly matched multi-byte character (its lead byte is the invalid one).
    const text = valid.endsWith("\uFFFD") ? valid.slice(0, -1) : valid;
    const byte = bytes[Buffer.byteLength(text)] ?? 0;
    throw at(file, text, text.length, `invalid UTF-8 (byte 0x${byte.toString(16).padStart(2, "0")})`);
  }
}

/**
 * A configuration or secrets file's text: `what` names it in messages ("Configuration file"),
 * `shown` is its path as the user knows it. Directories, devices, FIFOs (which would block),
 * oversized files and invalid UTF-8 are refused with their name.
 */
export function readTextFile(path: string, shown: string, what: string): string {
  const fail = (message: string): never => {
    throw new ConfigError([{ path: "", message, file: shown, line: 0, column: 0 }]);
  };
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? fail(`${what} not found in ${shown}`) : fail(`${what} ${shown} can't be read (${code ?? "unknown error"})`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return fail(`${what} ${shown} is a directory`);
    if (!stat.isFile()) return fail(`${what} ${shown} is not a regular file`);
    if (stat.size > LIMITS.fileBytes) throw tooBig(stat.size, shown, `${what} ${shown}`);
    const buffer = Buffer.alloc(stat.size);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return decodeText(buffer.subarray(0, length), shown);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return fail(`${what} ${shown} can't be read (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  } finally {
    closeSync(fd);
  }
}

// YAML 1.1 allows tab, line feed, carriage return, printable ASCII, NEL and everything above
// U+00A0 except the surrogates and U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const NOT_PRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]/;

/**
 * Refuses what YAML can't hold (Psych: "control characters are not allowed") and oversized text,
 * in a configuration file as ERB rendered it (`rendered` says the text differs from the file's).
 */
export function checkYamlText(text: string, file: string, rendered: boolean): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > LIMITS.fileBytes) throw tooBig(bytes, file, rendered ? `${file} as ERB rendered it` : file);
  const match = NOT_PRINTABLE.exec(text);
  if (match !== null) {
    const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw at(file, text, match.index, `YAML: control character U+${code} is not allowed${rendered ? " (in the text ERB rendered)" : ""}`);
  }
}

// Kamal's `ssh:` and `sshkit:` sections as the SSH transport needs them.
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { Redacted } from "../commands/cmd.js";
import type { SecretsLookup } from "../secrets/types.js";
import { BerthError } from "../util/errors.js";
import { parsePort } from "./host.js";

export interface SshSettings {
  /** Unset: the user's ssh config decides, else Kamal's default, root. */
  user?: string;
  /** Unset: the user's ssh config decides, else 22. */
  port?: number;
  /** Jump host, "host" or "user@host" (Kamal adds root@ to a bare host). */
  proxy?: string;
  proxyCommand?: string;
  /** Kamal's net-ssh level: debug, info, warn, error or fatal. */
  logLevel?: string;
  keysOnly?: boolean;
  keys?: readonly string[];
  /** Private keys loaded into a private ssh-agent for the run; never written to disk or argv. */
  keyData?: readonly Redacted[];
  /** true: default files; false: none; a path or list of paths: only those. */
  config?: boolean | string | readonly string[];
  forwardAgent?: boolean;
}

export interface SshkitSettings {
  /** Bound on SSH connections being opened at once (Kamal: 30). */
  maxConcurrentStarts?: number;
  /** Seconds an idle shared connection stays open: ControlPersist (Berth: 60 unless set). */
  poolIdleTimeout?: number;
  /** Retries after a failed name lookup, with backoff (Kamal: 3). */
  dnsRetries?: number;
}

/** The keys of deploy.yml's `ssh:` as written. */
export interface KamalSshConfig {
  user?: string;
  port?: number | string;
  proxy?: string;
  proxy_command?: string;
  log_level?: string;
  keys_only?: boolean;
  keys?: string[];
  key_data?: string[];
  config?: boolean | string | string[];
  forward_agent?: boolean;
}

export interface KamalSshkitConfig {
  max_concurrent_starts?: number;
  pool_idle_timeout?: number;
  dns_retries?: number;
}

/** Where deploy.yml's relative paths (`ssh.config`, `ssh.keys`) are resolved, and how files are checked. */
export interface SshFiles {
  /** The directory Berth runs in: Kamal resolves these paths against it (Ruby's File.expand_path). */
  readonly cwd: string;
  /** Whether a file can be read (replaced in tests). */
  readonly readable?: (path: string) => boolean;
}

/**
 * Maps deploy.yml's `ssh:`; `key_data` entries are secret names (inline PEM still works, as in
 * Kamal). With `files`, the paths of `ssh.config` and `ssh.keys` are made absolute as Kamal does
 * (`~` expanded, others against the working directory), and a config file that can't be read is an
 * error: OpenSSH's `Include` would skip it without a word, and with it its host key settings.
 */
export function sshSettingsFromKamal(raw: KamalSshConfig = {}, secrets?: SecretsLookup, files?: SshFiles): SshSettings {
  const settings: SshSettings = {};
  if (raw.user !== undefined) settings.user = String(raw.user);
  if (raw.port !== undefined) settings.port = parsePort(raw.port, "ssh.port");
  if (raw.proxy !== undefined) settings.proxy = raw.proxy;
  if (raw.proxy_command !== undefined) settings.proxyCommand = raw.proxy_command;
  if (raw.log_level !== undefined) {
    sshLogLevel(raw.log_level); // validates
    settings.logLevel = raw.log_level;
  }
  if (raw.keys_only !== undefined) settings.keysOnly = raw.keys_only;
  if (raw.keys !== undefined) settings.keys = files === undefined ? raw.keys : raw.keys.map((key) => absolutePath(key, files.cwd));
  if (raw.config !== undefined) settings.config = files === undefined ? raw.config : configFiles(raw.config, files);
  if (raw.forward_agent !== undefined) settings.forwardAgent = raw.forward_agent;
  if (raw.key_data !== undefined) {
    settings.keyData = raw.key_data.map((entry, index) => {
      if (entry.includes("-----BEGIN")) return new Redacted(entry);
      if (!secrets) throw new BerthError(`ssh.key_data[${index}]: secret ${entry} needs .kamal/secrets, and none were read`);
      return new Redacted(secrets.get(entry));
    });
  }
  return settings;
}

function configFiles(config: boolean | string | readonly string[], files: SshFiles): boolean | string[] {
  if (typeof config === "boolean") return config;
  const readable = files.readable ?? isReadable;
  return (Array.isArray(config) ? config : [config]).map((path: string, index, all) => {
    const absolute = absolutePath(path, files.cwd);
    if (!readable(absolute)) {
      const key = all.length > 1 ? `ssh.config[${index}]` : "ssh.config";
      const resolved = absolute === path ? "" : ` (${absolute}, resolved against ${files.cwd} as Kamal does)`;
      throw new BerthError(`${key}: cannot read the SSH config file ${path}${resolved}. Fix the path or remove the setting`);
    }
    return absolute;
  });
}

/** Ruby's File.expand_path: `~` is the home directory, a relative path is under `cwd`. */
function absolutePath(path: string, cwd: string): string {
  if (path === "~" || path.startsWith("~/")) return `${homedir()}${path.slice(1)}`;
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export function sshkitSettingsFromKamal(raw: KamalSshkitConfig = {}): SshkitSettings {
  const settings: SshkitSettings = {};
  const count = (key: keyof KamalSshkitConfig, min: number): number | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < min) {
      throw new BerthError(`sshkit.${key}: expected a whole number of at least ${min}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const starts = count("max_concurrent_starts", 1);
  const idle = count("pool_idle_timeout", 1);
  const retries = count("dns_retries", 0);
  if (starts !== undefined) settings.maxConcurrentStarts = starts;
  if (idle !== undefined) settings.poolIdleTimeout = idle;
  if (retries !== undefined) settings.dnsRetries = retries;
  return settings;
}

const LOG_LEVELS: Readonly<Record<string, string>> = {
  debug: "DEBUG",
  info: "VERBOSE",
  warn: "INFO",
  error: "ERROR",
  // Never quieter than ERROR: Berth reads ssh's error lines to explain a failed connection.
  fatal: "ERROR",
};

/** OpenSSH's LogLevel for a net-ssh level name. */
export function sshLogLevel(level: string): string {
  const mapped = LOG_LEVELS[level.toLowerCase()];
  if (!mapped) {
    throw new BerthError(`ssh.log_level: unknown level "${level}" (use one of ${Object.keys(LOG_LEVELS).join(", ")})`);
  }
  return mapped;
}

// Kamal's `ssh:` and `sshkit:` sections as the SSH transport needs them.
import { Redacted } from "../core/cmd.js";
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

/** Maps deploy.yml's `ssh:`; `key_data` entries are secret names (inline PEM still works, as in Kamal). */
export function sshSettingsFromKamal(raw: KamalSshConfig = {}, secrets?: SecretsLookup): SshSettings {
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
  if (raw.keys !== undefined) settings.keys = raw.keys;
  if (raw.config !== undefined) settings.config = raw.config;
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

// What the SSH transport is told of deploy.yml's `ssh:` and `sshkit:` (read once, by the
// configuration's Ssh and Sshkit models; src/deploy/run.ts hands them over): only what is set, so
// the user's ssh config decides the rest, and paths already absolute.
import type { Redacted } from "../core/cmd.js";
import { BerthError } from "../util/errors.js";

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
  /** true: default files; false: none; a path or list of paths (absolute): only those. */
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

// The deploy lock: a directory on the primary host (mkdir is the atomic test-and-set) holding
// a base64 `details` file, exactly as Kamal writes it so either tool honours the other's lock.
import type { Configuration } from "../config/index.js";
import { cmd, combine, pipe, write } from "../core/cmd.js";
import type { Cmd } from "../core/cmd.js";
import { makeDirectory } from "./shared.js";

export interface LockDetails {
  /** `git config user.name` (Kamal writes "Unknown" without git). */
  readonly lockedBy: string;
  /** UTC ISO-8601, e.g. `2026-01-02T03:04:05Z`. */
  readonly lockedAt: string;
  readonly version: string;
  /** `Automatic deploy lock` for deploys, else the `kamal lock acquire -m` message. */
  readonly message: string;
}

export const AUTOMATIC_LOCK_MESSAGE = "Automatic deploy lock";

/** `Locked by: <name> at <time>\nVersion: <version>\nMessage: <message>` */
export function lockDetailsText({ lockedBy, lockedAt, version, message }: LockDetails): string {
  return `Locked by: ${lockedBy} at ${lockedAt}\nVersion: ${version}\nMessage: ${message}`.trim();
}

/** Ruby's Base64.encode64: standard base64 with a newline after every 60 characters and at the end. */
export function encode64(text: string): string {
  const encoded = Buffer.from(text, "utf8").toString("base64");
  return encoded.replace(/.{1,60}/g, "$&\n");
}

/** Reads the details back from `lock status` output (already base64-decoded by the remote `base64 -d`). */
export function parseLockDetails(text: string): LockDetails | null {
  const match = /^Locked by: (.*) at (\S+)\nVersion: (.*)\nMessage: ([\s\S]*)$/.exec(text.replace(/\r\n/g, "\n").trim());
  if (!match) return null;
  return { lockedBy: match[1]!, lockedAt: match[2]!, version: match[3]!, message: match[4]! };
}

/** Decodes a `details` file's content (base64 with line breaks), for callers reading it raw. */
export function decodeDetails(base64: string): string {
  return Buffer.from(base64.replace(/\s+/g, ""), "base64").toString("utf8");
}

/** `mkdir -p .kamal` on every host before the lock (Kamal's server ensure_run_directory). */
export function ensureRunDirectory(config: Configuration): Cmd {
  return makeDirectory(config.runDirectory);
}

/** `mkdir .kamal/lock-<svc>[-dest] && echo "<base64>" > …/details`: fails with "cannot create directory" when held. */
export function acquire(config: Configuration, details: LockDetails): Cmd {
  return combine(cmd("mkdir", config.lockDirectory), write(cmd("echo", `"${encode64(lockDetailsText(details))}"`), config.lockDetailsFile));
}

/** `rm .kamal/lock-…/details && rm -r .kamal/lock-…` */
export function release(config: Configuration): Cmd {
  return combine(cmd("rm", config.lockDetailsFile), cmd("rm", "-r", config.lockDirectory));
}

/** `stat .kamal/lock-… > /dev/null && cat .kamal/lock-…/details | base64 -d`: fails when not locked. */
export function status(config: Configuration): Cmd {
  return combine(write(cmd("stat", config.lockDirectory), "/dev/null"), pipe(cmd("cat", config.lockDetailsFile), cmd("base64", "-d")));
}

/** Kamal's test for "someone else holds the lock" in a failed acquire's output. */
export function isLockHeldError(output: string): boolean {
  return /cannot create directory/.test(output);
}

// Hooks: executables in `.kamal/hooks/` run on this machine. Their metadata goes in the
// environment (never in the command text), secrets too for the hooks that get them.
import type { Configuration } from "../config/index.js";
import { cmd, singleQuote } from "../core/cmd.js";
import { fileJoin } from "./shared.js";
import type { Cmd } from "../core/cmd.js";
import { Tags } from "./tags.js";
import type { TagContext } from "./tags.js";

/** Hooks Kamal hands every secret to. */
export const HOOKS_WITH_SECRETS: readonly string[] = ["pre-connect", "pre-deploy", "post-deploy"];

/** `<hooks_path>/<hook>`, relative to the project directory unless absolute. */
export function hookPath(config: Configuration, hook: string): string {
  return fileJoin(config.hooksPath, hook);
}

/** The hook as a local command, run from the project directory (the path always has a `/`, so no PATH lookup). */
export function run(config: Configuration, hook: string): Cmd {
  return cmd(singleQuote(hookPath(config, hook)));
}

export interface HookDetails {
  /** Comma-joined hosts of this run (or of the boot group for pre/post-app-boot). */
  readonly hosts: readonly string[];
  /** `-r` roles, when given. */
  readonly roles?: readonly string[];
  /** Whether this run holds the deploy lock. */
  readonly lock: boolean;
  /** `deploy`, `app`, `proxy`… */
  readonly command: string;
  /** `boot`, `reboot`… for subcommands. */
  readonly subcommand?: string;
  /** Seconds the deploy took (post-deploy). */
  readonly runtime?: number | string;
  /** Every secret, for `HOOKS_WITH_SECRETS`. */
  readonly secrets?: Readonly<Record<string, string>>;
}

/**
 * `KAMAL_RECORDED_AT`, `KAMAL_PERFORMER`, [`KAMAL_DESTINATION`], `KAMAL_VERSION`,
 * `KAMAL_SERVICE_VERSION`, `KAMAL_SERVICE`, `KAMAL_HOSTS`, [`KAMAL_ROLES`], `KAMAL_LOCK`,
 * `KAMAL_COMMAND`, [`KAMAL_SUBCOMMAND`], [`KAMAL_RUNTIME`], then the secrets when given.
 */
export function env(config: Configuration, context: TagContext, details: HookDetails): Record<string, string> {
  const tags = Tags.fromConfig(config, context, {
    hosts: details.hosts.join(","),
    roles: details.roles && details.roles.length > 0 ? details.roles.join(",") : undefined,
    lock: String(details.lock),
    command: details.command,
    subcommand: details.subcommand,
    runtime: details.runtime,
  });
  return { ...tags.env(), ...(details.secrets ?? {}) };
}

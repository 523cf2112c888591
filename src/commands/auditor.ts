// The audit log on each host: one line per change, tagged with when, who, destination and role.
// Lines may name versions, roles and commands but never secrets (they are kept on the hosts).
import type { Configuration } from "../config/index.js";
import { Redacted, append, cmd, combine, quote } from "../core/cmd.js";
import type { Cmd } from "../core/cmd.js";
import { BerthError } from "../util/errors.js";
import { makeDirectory } from "./shared.js";
import { Tags } from "./tags.js";
import type { TagContext, TagDetails } from "./tags.js";

/** `[<recorded_at>] [<performer>] [<destination>] [<details…>] <line>` */
function auditLine(config: Configuration, context: TagContext, line: string, details: TagDetails = {}): string {
  for (const value of [line, ...Object.values(details)]) {
    if ((value as unknown) instanceof Redacted) throw new BerthError("An audit line cannot contain a secret (a redacted value was given)");
  }
  return `${Tags.fromConfig(config, context, details).except("version", "service_version", "service").toString()} ${line}`;
}

/** `mkdir -p .kamal && echo "<line>" >> .kamal/<svc>[-dest]-audit.log` */
export function record(config: Configuration, context: TagContext, line: string, details: TagDetails = {}): Cmd {
  return combine(makeDirectory(config.runDirectory), append(cmd("echo", quote(auditLine(config, context, line, details))), config.auditLogFile));
}

/** `tail -n 50 .kamal/<svc>[-dest]-audit.log` */
export function reveal(config: Configuration): Cmd {
  return cmd("tail", "-n", 50, config.auditLogFile);
}

// Kamal's `run_over_ssh`: the local `ssh -t user@host -p port '<command>'` line for interactive
// commands (exec -i, logs -f). Berth's transport runs these itself; this is the line Kamal would
// run, for showing and for handing a terminal over to plain ssh.
import type { Configuration } from "../config/index.js";
import { render } from "../core/cmd.js";
import type { Cmd } from "../core/cmd.js";

function configArgs(config: Configuration): string[] {
  const files = config.ssh.configFiles;
  if (files === true) return [];
  if (files === false) return ["-F", "/dev/null"];
  return (Array.isArray(files) ? files : [files]).flatMap((file) => ["-F", file]);
}

function proxyArgs(config: Configuration): string[] {
  if (config.ssh.proxy !== undefined) return ["-J", config.ssh.proxy];
  if (config.ssh.proxyCommand !== undefined) return ["-o", `ProxyCommand='${config.ssh.proxyCommand}'`];
  return [];
}

function keyArgs(config: Configuration): string[] {
  return [...(config.ssh.keys ?? []).flatMap((key) => ["-i", key]), ...(config.ssh.keysOnly ? ["-o", "IdentitiesOnly=yes"] : [])];
}

/**
 * `ssh [-F …] [-J …|-o ProxyCommand='…'] [-i …] [-o IdentitiesOnly=yes] -t <user>@<host> -p <port> '<command>'`.
 * The command must not carry Redacted parts: they would end up in this process's arguments.
 */
export function overSsh(config: Configuration, host: string, command: Cmd): string {
  if (command.stdin !== undefined || command.parts.some((part) => typeof part === "object")) {
    throw new TypeError("a command with secrets or stdin cannot be run over an interactive ssh line");
  }
  const remote = render(command, { redact: false }).replace(/'/g, "'\\''");
  return ["ssh", ...configArgs(config), ...proxyArgs(config), ...keyArgs(config), "-t", `${config.ssh.user}@${host}`, "-p", String(config.ssh.port), `'${remote}'`].join(" ");
}

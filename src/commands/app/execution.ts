// `kamal app exec`: a command in a fresh container of the app image, or in the running one.
import type { Configuration, Role } from "../../config/index.js";
import { argumentize, optionize } from "../../core/cmd.js";
import type { Cmd } from "../../core/cmd.js";
import { docker, requireHex } from "../shared.js";
import { envArgs } from "./core.js";

/** `-it` for a terminal, `-i` for piped input (Kamal checks whether stdin is a TTY). */
export type Interactive = "tty" | "pipe" | false;

function interactiveArgs(interactive: Interactive): string | null {
  if (interactive === "tty") return "-it";
  if (interactive === "pipe") return "-i";
  return null;
}

export interface ExecOptions {
  /** The command as the user typed it; it is run by the remote shell as written. */
  readonly command: string;
  /** Extra `--env` values (`-e KEY=value`). */
  readonly env?: Readonly<Record<string, string>>;
  readonly interactive?: Interactive;
}

export interface NewContainerExecOptions extends ExecOptions {
  readonly host: string;
  /** 6 random hex digits for the container name (`randomBytes(3).toString("hex")`). */
  readonly random: string;
  /** Leave it running (`--detach`) instead of removing it when done (`--rm`). */
  readonly detach?: boolean;
}

/** `<svc>-<role>[-dest]-exec-<version>-<6 hex>` */
export function execContainerName(config: Configuration, role: Role, random: string): string {
  return [role.containerPrefix, "exec", config.version, requireHex(random, 6, "exec container suffix")].join("-");
}

/** `docker run [-it] --rm --name … --network kamal <env> [--env K="v"] <logging> <volumes> <options> <image> <command>` */
export function execInNewContainer(config: Configuration, role: Role, options: NewContainerExecOptions): Cmd {
  const { command, env = {}, interactive = false, detach = false, host, random } = options;
  return docker(
    "run",
    interactiveArgs(interactive),
    detach ? "--detach" : "--rm",
    "--name",
    execContainerName(config, role, random),
    "--network",
    "kamal",
    envArgs(role, host),
    argumentize("--env", env),
    role.logging.args(),
    config.volumeArgs,
    optionize(role.options),
    config.absoluteImage,
    command,
  );
}

/** `docker exec [-it] [--env K="v"] <current version's container> <command>` (`--reuse`). */
export function execInExistingContainer(config: Configuration, role: Role, options: ExecOptions): Cmd {
  const { command, env = {}, interactive = false } = options;
  return docker("exec", interactiveArgs(interactive), argumentize("--env", env), role.containerName(config.version), command);
}

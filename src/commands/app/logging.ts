// `kamal app logs`: the current container's logs (or a given container's), optionally grepped.
import type { Configuration, Role } from "../../config/index.js";
import { cmd } from "../../core/cmd.js";
import type { Cmd } from "../../core/cmd.js";
import { containerIdFor, docker, grepDoubleQuoted, grepSingleQuoted, pipeSome, xargs } from "../shared.js";
import { currentRunningContainerId } from "./core.js";

export interface LogSource {
  /** A container id (`--container-id`); by default the current container. */
  readonly containerId?: string;
  /** A version's container, e.g. the one that just failed its health check. */
  readonly version?: string;
}

export interface LogOptions extends LogSource {
  readonly timestamps?: boolean;
  readonly since?: string;
  readonly lines?: number | string;
  readonly grep?: string;
  readonly grepOptions?: string;
}

function source(config: Configuration, role: Role, { containerId, version }: LogSource): Cmd {
  if (containerId !== undefined) return cmd("echo", containerId);
  if (version !== undefined) return containerIdFor(role.containerName(version));
  return currentRunningContainerId(config, role);
}

/** `<current container> | xargs docker logs [--timestamps] [--since S] [--tail N] 2>&1 [| grep 'G' opts]` */
export function logs(config: Configuration, role: Role, options: LogOptions = {}): Cmd {
  const { timestamps = true, since, lines, grep, grepOptions } = options;
  return pipeSome(
    source(config, role, options),
    xargs(docker("logs", timestamps ? "--timestamps" : null, since === undefined ? null : ["--since", since], lines === undefined ? null : ["--tail", lines], "2>&1")),
    grepSingleQuoted(grep, grepOptions),
  );
}

/** The remote side of `logs --follow`: `… | xargs docker logs [--timestamps] [--tail N] --follow 2>&1 [| grep "G"]`. */
export function followLogs(config: Configuration, role: Role, options: Omit<LogOptions, "since"> = {}): Cmd {
  const { timestamps = true, lines, grep, grepOptions } = options;
  return pipeSome(
    source(config, role, options),
    xargs(docker("logs", timestamps ? "--timestamps" : null, lines === undefined ? null : ["--tail", lines], "--follow", "2>&1")),
    grepDoubleQuoted(grep, grepOptions),
  );
}

/** Logs of a container that failed to boot, for the error report (the last lines, with timestamps). */
export function failedContainerLogs(config: Configuration, role: Role, version: string, lines?: number): Cmd {
  return logs(config, role, { version, ...(lines === undefined ? {} : { lines }) });
}


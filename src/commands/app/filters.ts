// How app containers are found: by the `service`, `destination` and `role` labels every app
// container carries (`label=destination=` matches the bare label of a deploy without destination).
import type { Configuration, Role } from "../../config/index.js";
import { argumentize, cmd, pipe, shell, chain } from "../../core/cmd.js";
import type { Cmd, Part } from "../../core/cmd.js";
import { docker } from "../shared.js";

/** Statuses Kamal treats as "the current container". */
const ACTIVE_STATUSES: readonly string[] = ["running", "restarting"];

function containerFilters(config: Configuration, role: Role | undefined, statuses: readonly string[] = []): string[] {
  return [
    `label=service=${config.service}`,
    `label=destination=${config.destination ?? ""}`,
    ...(role ? [`label=role=${role.name}`] : []),
    ...statuses.map((status) => `status=${status}`),
  ];
}

export function containerFilterArgs(config: Configuration, role: Role | undefined, statuses: readonly string[] = []): Part[] {
  return argumentize("--filter", containerFilters(config, role, statuses));
}

/** `docker image ls --filter reference=<latest> --format '{{.ID}}'` */
function latestImageId(config: Configuration): Cmd {
  return docker("image", "ls", "--filter", `reference=${config.latestImage}`, "--format", "'{{.ID}}'");
}

function latestContainer(config: Configuration, role: Role, format: readonly string[], extraFilters: readonly string[] = []): Cmd {
  return docker("ps", "--latest", ...format, containerFilterArgs(config, role, ACTIVE_STATUSES), argumentize("--filter", extraFilters));
}

/**
 * The newest running container of the role, preferring one made from the `latest` image (so a
 * container started by hand from another image doesn't count as current): Kamal's
 * `sh -c 'docker ps --latest … ancestor=$(…) ; docker ps --latest …' | head -1`.
 */
export function currentRunningContainer(config: Configuration, role: Role, format: readonly string[]): Cmd {
  const fromLatestImage = latestContainer(config, role, format, [`ancestor=$(${renderPlain(latestImageId(config))})`]);
  return pipe(shell(chain(fromLatestImage, latestContainer(config, role, format))), cmd("head", "-1"));
}

/** `while read line; do echo ${line#<prefix>-}; done`: container names to versions. */
export function extractVersionFromName(role: Role): Cmd {
  return cmd(`while read line; do echo \${line#${role.containerPrefix}-}; done`);
}

function renderPlain(command: Cmd): string {
  return command.parts.map(String).join(" ");
}

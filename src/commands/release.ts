// The release phase (`x-berth.release`): a command (database migrations…) run once per deploy in
// a one-off container of the new image on the primary host, before any host switches. Kamal has
// no such step; the container is built as Kamal's `app exec` builds its fresh container (the
// role's env file, volumes and options, the `kamal` network), with Kamal's KAMAL_* variables the
// app containers get, and removed when the command ends.
import type { Configuration, Role } from "../config/index.js";
import { argumentize, cmd, optionize, type Cmd } from "../core/cmd.js";
import { docker, requireHex } from "./shared.js";
import { envArgs } from "./app/core.js";

export interface ReleaseOptions {
  /** The host it runs on (`KAMAL_HOST`, the role's host-tagged env). */
  readonly host: string;
  /** The command line from `x-berth.release.cmd`, run by the container as its command, as written. */
  readonly command: string;
  /** 6 random hex digits for the container name (`randomBytes(3).toString("hex")`). */
  readonly random: string;
}

/** `<svc>-<role>[-dest]-release-<version>-<6 hex>`: like `app exec`'s `…-exec-…`, no labels, so no deploy counts it as a version. */
export function releaseContainerName(config: Configuration, role: Role, random: string): string {
  return [role.containerPrefix, "release", config.version, requireHex(random, 6, "release container suffix")].join("-");
}

/**
 * `docker run --rm --name … --network kamal --env KAMAL_…="…" <role env> <logging> <volumes>
 * <options> <image> <command> 2>&1`: in the foreground, its output (both streams, in order) is
 * the step's, and its exit status the command's.
 */
export function run(config: Configuration, role: Role, { host, command, random }: ReleaseOptions): Cmd {
  const kamal: Record<string, string> = {
    KAMAL_CONTAINER_NAME: releaseContainerName(config, role, random),
    KAMAL_VERSION: config.version,
    KAMAL_HOST: host,
    ...(config.destination === undefined ? {} : { KAMAL_DESTINATION: config.destination }),
  };
  return cmd(
    docker(
      "run",
      "--rm",
      "--name",
      releaseContainerName(config, role, random),
      "--network",
      "kamal",
      argumentize("--env", kamal),
      envArgs(role, host),
      role.logging.args(),
      config.volumeArgs,
      optionize(role.options),
      config.absoluteImage,
      command,
    ),
    "2>&1",
  );
}

/** `docker stop <name>`: a release container past its timeout or at a signal (SIGTERM, then SIGKILL; --rm removes it). */
export function stop(name: string): Cmd {
  return docker("stop", name);
}

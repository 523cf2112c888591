// The image on the app hosts: pull it fresh, and refuse one that isn't labelled for this service.
import type { Configuration } from "../../config/index.js";
import { any, cmd, pipe } from "../cmd.js";
import type { Cmd } from "../cmd.js";
import { docker } from "../shared.js";

/** `docker image rm --force repo:VER`: so the pull below fetches the registry's copy. */
export function clean(config: Configuration): Cmd {
  return docker("image", "rm", "--force", config.absoluteImage);
}

/** `docker pull repo:VER` */
export function pull(config: Configuration): Cmd {
  return docker("pull", config.absoluteImage);
}

/** `docker inspect -f '{{ .Config.Labels.service }}' repo:VER | grep -x <svc> || (echo "… is missing the 'service' label" && exit 1)` */
export function validateImage(config: Configuration): Cmd {
  return pipe(
    docker("inspect", "-f", "'{{ .Config.Labels.service }}'", config.absoluteImage),
    any(cmd("grep", "-x", config.service), cmd(`(echo "Image ${config.absoluteImage} is missing the 'service' label" && exit 1)`)),
  );
}

/** `docker info --format '{{index .RegistryConfig.Mirrors 0}}'`: hosts behind one mirror pull one at a time first. */
export function firstMirror(): Cmd {
  return docker("info", "--format '{{index .RegistryConfig.Mirrors 0}}'");
}

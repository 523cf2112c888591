// The image on the app hosts: pull it fresh, and refuse one that isn't labelled for this service.
import type { Configuration } from "../../config/index.js";
import { any, cmd, pipe } from "../../core/cmd.js";
import type { Cmd } from "../../core/cmd.js";
import { probe, type Probe } from "../operation.js";
import { docker } from "../shared.js";
import { REVISION_LABEL } from "./classic.js";

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

/**
 * `docker image inspect --format '{{.Id}} {{index .Config.Labels "service"}} {{index .Config.Labels "org.opencontainers.image.revision"}}' repo:VER`:
 * the image a store holds under this version's tag, its service label and the commit it was built
 * from (classic.ts's label); prints nothing when it has none.
 */
export function imageIdentity(config: Configuration): Probe {
  const format = `'{{.Id}} {{index .Config.Labels "service"}} {{index .Config.Labels "${REVISION_LABEL}"}}'`;
  return probe(cmd(docker("image", "inspect", "--format", format, config.absoluteImage), "2>/dev/null", "||", "true"));
}

export interface ImageIdentity {
  /** The image ID (`sha256:…`): the digest of the image's configuration, so equal IDs mean equal images. */
  readonly id: string;
  /** Its `service` label, "" without one. */
  readonly service: string;
  /** The commit it was built from (its revision label), where that was read and the image has one. */
  readonly revision?: string;
}

/** An image's ID and `service` label as a docker template printed them (`<no value>`: no label). */
export function imageIdentityOf(id: string, service: string): ImageIdentity {
  return { id, service: service === "<no value>" ? "" : service };
}

/** `imageIdentity`'s output, or undefined when the store has no image under the tag. */
export function parseImageIdentity(output: string): ImageIdentity | undefined {
  const match = /^(sha256:\S+)(?: (<no value>|\S*))?(?: (<no value>|\S*))?/.exec(output.trim());
  if (match === null) return undefined;
  const [, id = "", service = "", revision = ""] = match;
  const identity = imageIdentityOf(id, service);
  return revision === "" || revision === "<no value>" ? identity : { ...identity, revision };
}

/** `docker info --format '{{index .RegistryConfig.Mirrors 0}}'`: hosts behind one mirror pull one at a time first. */
export function firstMirror(): Cmd {
  return docker("info", "--format '{{index .RegistryConfig.Mirrors 0}}'");
}

// The app's images on a host.
import type { Configuration } from "../../config/index.js";
import type { Cmd } from "../../core/cmd.js";
import { imageTag, type ImageTag } from "../container.js";
import { docker } from "../shared.js";

/** `docker image ls <repository>` */
export function listImages(config: Configuration): Cmd {
  return docker("image", "ls", config.repository);
}

/** `docker image prune --all --force --filter label=service=<svc>` */
export function removeImages(config: Configuration): Cmd {
  return docker("image", "prune", "--all", "--force", "--filter", `label=service=${config.service}`);
}

/** `docker tag <repo:version> <repo:latest[-dest]>`: what `current` lookups prefer. */
export function tagLatestImage(config: Configuration, version: string = config.version): ImageTag {
  return imageTag(`${config.repository}:${version}`, config.latestImage);
}

// `kamal prune`: old app containers and images on each host, Kamal's exact pipelines.
import type { Configuration } from "../config/index.js";
import { cmd, pipe } from "../core/cmd.js";
import type { Cmd, Part } from "../core/cmd.js";
import { containerRemove, imageRemove, type ContainerRemove, type ImageRemove } from "./container.js";
import { docker } from "./shared.js";

function serviceFilter(config: Configuration): Part[] {
  return ["--filter", `label=service=${config.service}`];
}

/** `docker image prune --force --filter label=service=<svc>`: untagged images of the app. */
export function danglingImages(config: Configuration): Cmd {
  return docker("image", "prune", "--force", serviceFilter(config));
}

/**
 * Removes tagged app images no container uses, keeping `latest` and `<none>`: the image list,
 * minus (grep -v -w) every image a container (running or not) was made from.
 */
export function taggedImages(config: Configuration): Cmd {
  const inUse = `$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=${config.service} | tr -d '\\n')`;
  const keep = `${inUse}${config.latestImage}\\|${config.repository}:<none>`;
  return pipe(
    docker("image", "ls", serviceFilter(config), "--format", "'{{.ID}} {{.Repository}}:{{.Tag}}'"),
    cmd("grep", `-v -w "${keep}"`),
    cmd("while read image tag; do docker rmi $tag; done"),
  );
}

/** Removes stopped app containers beyond the newest `retain` (`docker ps` lists newest first). */
export function appContainers(config: Configuration, retain: number = config.retainContainers): Cmd {
  if (!Number.isInteger(retain) || retain < 0) throw new TypeError(`retain must be a whole number, got ${retain}`);
  return pipe(
    docker("ps", "-q", "-a", serviceFilter(config), ["created", "exited", "dead"].flatMap((status) => ["--filter", `status=${status}`])),
    cmd(`tail -n +${retain + 1}`),
    cmd("while read container_id; do docker rm $container_id; done"),
  );
}

/** `docker rm` of stopped containers a deploy worked out to prune (by name). */
export function removeContainers(names: readonly string[]): ContainerRemove {
  return containerRemove(names);
}

/** `docker rmi` of images a deploy worked out to prune (by reference, or by ID when untagged). */
export function removeImages(references: readonly string[]): ImageRemove {
  return imageRemove(references);
}

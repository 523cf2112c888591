// Image transfers with a registry, and the label check after a pull, as operations that have a
// Docker Engine API rendering beside their command. `docker pull`/`docker push` wait forever for a
// registry that stops answering halfway through a layer; their API requests stream progress, so
// a carrier can see the silence and fail the step (src/deploy/docker-api.ts).
import type { Cmd, Redacted } from "../core/cmd.js";
import { checkImageLabel, pullImage, pushImage, type DockerApiCall } from "./docker-api.js";
import { docker } from "./shared.js";

export interface ImagePull extends Cmd {
  readonly kind: "image-pull";
  readonly reference: string;
  /** The registry's credentials for the daemon (`X-Registry-Auth`); none for a local registry. */
  readonly auth: Redacted | undefined;
}

/** `docker pull REF` */
export function imagePull(reference: string, auth?: Redacted): ImagePull {
  return { kind: "image-pull", reference, auth, parts: docker("pull", reference).parts };
}

export interface ImagePush extends Cmd {
  readonly kind: "image-push";
  readonly reference: string;
  readonly auth: Redacted | undefined;
}

/** `docker push REF` */
export function imagePush(reference: string, auth?: Redacted): ImagePush {
  return { kind: "image-push", reference, auth, parts: docker("push", reference).parts };
}

export interface ImageLabelCheck extends Cmd {
  readonly kind: "image-label-check";
  readonly reference: string;
  readonly label: string;
  readonly value: string;
}

/** `command` (an inspect piped to `grep -x VALUE`, see builder/hosts.ts) as the check it makes. */
export function imageLabelCheck(command: Cmd, reference: string, label: string, value: string): ImageLabelCheck {
  return { kind: "image-label-check", reference, label, value, parts: command.parts };
}

export type TransferOperation = ImagePull | ImagePush | ImageLabelCheck;

/** The operation as its Docker Engine API request. */
export function transferRequests(operation: TransferOperation): DockerApiCall[] {
  switch (operation.kind) {
    case "image-pull":
      return [pullImage(operation.reference, operation.auth)];
    case "image-push":
      return [pushImage(operation.reference, operation.auth)];
    case "image-label-check":
      return [checkImageLabel(operation.reference, operation.label, operation.value)];
  }
}

// Berth's own proxy image, built here from the package's proxy/ directory and pushed to the app's
// registry when the hosts can't pull it (src/deploy/proxy-image.ts decides when).
import { PROXY_IMAGE_TITLE_LABEL } from "../../config/index.js";
import type { Cmd } from "../../core/cmd.js";
import { docker } from "../shared.js";

export interface ProxyImageBuild {
  readonly image: string;
  /** The Node base image (`BASE` build argument). */
  readonly base: string;
  readonly dockerfile: string;
  /** The staged build context. */
  readonly context: string;
}

/** `docker build --build-arg BASE=<base> --label <kamal-proxy title> -t <image> -f <Dockerfile> <context>` */
export function buildImage({ image, base, dockerfile, context }: ProxyImageBuild): Cmd {
  return docker("build", "--build-arg", `BASE=${base}`, "--label", PROXY_IMAGE_TITLE_LABEL, "-t", image, "-f", dockerfile, context);
}

/** `docker push <image>` */
export function pushImage(image: string): Cmd {
  return docker("push", image);
}

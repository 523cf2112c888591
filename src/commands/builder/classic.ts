// The classic path for machines whose Docker has no buildx plugin (e.g. Debian's docker.io):
// `docker build` into the local image store, then one `docker push` per tag. Single-arch only.
import type { Configuration } from "../../config/index.js";
import { argumentize, type Cmd } from "../../core/cmd.js";
import { docker } from "../shared.js";
import { buildOptions, tagArgs, tagNames } from "./buildx.js";

/** The label recording the commit an image was built from (the OCI annotation's name). */
export const REVISION_LABEL = "org.opencontainers.image.revision";

/**
 * `docker build -t repo:VER -t repo:latest --label service="app" [--build-arg …] [--secret …] --file F
 * [--target T] [--label org.opencontainers.image.revision="SHA"] [--no-cache] <context>`. The revision label
 * (a build from the git clone) lets a later deploy reuse the image only for that same commit.
 */
export function build(config: Configuration, { noCache = false, tagAsDirty = false, revision }: { noCache?: boolean; tagAsDirty?: boolean; revision?: string } = {}): Cmd {
  const revisionLabel = revision === undefined ? [] : argumentize("--label", { [REVISION_LABEL]: revision });
  return docker("build", tagArgs(config, tagAsDirty), buildOptions(config, { buildx: false }), revisionLabel, noCache ? "--no-cache" : null, config.builder.context);
}

/** `docker push repo:VER`, `docker push repo:latest`: separate commands so a failure names its tag. */
export function pushTags(config: Configuration, { tagAsDirty = false }: { tagAsDirty?: boolean } = {}): Cmd[] {
  return tagNames(config, tagAsDirty).map((tag) => docker("push", tag));
}

/**
 * Settings the classic builder cannot honour, for a warning before it is used: arches other than
 * this machine's (it builds only its own), build cache export, SSH forwarding, provenance and
 * SBOM attestations.
 */
export function unsupportedSettings(config: Configuration, localArch: string): string[] {
  const builder = config.builder;
  const foreign = builder.arches.some((arch) => arch !== localArch);
  return [
    ...(foreign ? [`builder/arch (${builder.arches.join(", ")}: only this machine's ${localArch} is built)`] : []),
    ...(builder.cached ? ["builder/cache"] : []),
    ...(builder.ssh === undefined ? [] : ["builder/ssh"]),
    ...(builder.provenance === undefined ? [] : ["builder/provenance"]),
    ...(builder.sbom === undefined ? [] : ["builder/sbom"]),
  ];
}

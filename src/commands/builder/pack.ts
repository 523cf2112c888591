// Cloud Native Buildpacks (`builder.pack`): `pack build`, then a push per tag.
import type { Configuration } from "../../config/index.js";
import { argumentize, cmd, combine } from "../../core/cmd.js";
import type { Cmd } from "../../core/cmd.js";
import { BerthError } from "../../util/errors.js";
import type { SecretsLookup } from "../../secrets/types.js";
import { docker } from "../shared.js";
import { tagArgs, tagNames } from "./buildx.js";

function packBuilder(config: Configuration): { builder: string; buildpacks: string[] } {
  const pack = config.builder.pack;
  if (!pack || pack.builder === undefined) throw new BerthError("builder/pack/builder: a pack builder image is required");
  return { builder: pack.builder, buildpacks: pack.buildpacks };
}

/** Builder secrets for `pack` go in as (redacted) `--env` values. */
function secretValues(config: Configuration, secrets: SecretsLookup | undefined): Record<string, string> {
  const names = config.builder.secrets;
  if (names.length === 0) return {};
  if (!secrets) throw new BerthError(`builder/secrets: secrets ${names.join(", ")} are needed but no secrets were loaded`);
  return Object.fromEntries(names.map((name) => [name, secrets.get(name)]));
}

export interface PackOptions {
  readonly localArch: string;
  readonly exportAction?: "registry" | "docker";
  readonly noCache?: boolean;
  readonly tagAsDirty?: boolean;
}

/** `pack build <repo> --platform linux/<arch> --creation-time now --builder B --buildpack … -t … [--clear-cache] --env … --path <ctx> && docker push …` */
export function push(config: Configuration, options: PackOptions): Cmd {
  const { localArch, exportAction = "registry", noCache = false, tagAsDirty = false } = options;
  const { builder, buildpacks } = packBuilder(config);
  const arch = config.builder.localArches(localArch)[0] ?? localArch;
  const build = cmd(
    "pack",
    "build",
    config.repository,
    "--platform",
    `linux/${arch}`,
    "--creation-time",
    "now",
    "--builder",
    builder,
    [...buildpacks, "paketo-buildpacks/image-labels"].flatMap((buildpack) => ["--buildpack", buildpack]),
    tagArgs(config, tagAsDirty),
    noCache ? "--clear-cache" : null,
    "--env",
    `BP_IMAGE_LABELS=service=${config.service}`,
    argumentize("--env", config.builder.args),
    argumentize("--env", secretValues(config, config.secrets), { sensitive: true }),
    "--path",
    config.builder.context,
  );
  if (exportAction !== "registry") return build;
  return combine(build, ...tagNames(config, tagAsDirty).map((tag) => docker("push", tag)));
}

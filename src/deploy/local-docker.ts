// This machine's Docker as a build needs it: buildx or the classic builder, and the architecture.
// Each is asked once per run (the run's services keep the answer).
import { builder as builderCommands } from "../commands/index.js";
import { settleAll } from "../util/settle.js";
import { BuildError } from "./build-error.js";
import type { Run } from "./run.js";

export interface LocalDocker {
  /** `docker buildx version` works. */
  readonly buildx: boolean;
  /** `amd64`/`arm64`, from `docker info`. */
  readonly arch: string;
}

/**
 * Whether `docker buildx` works here (one docker process; `command -v` is the shell's), asked once
 * per run. Throws when Docker isn't installed.
 */
export function hasBuildx(run: Run): Promise<boolean> {
  run.services.once.localBuildx ??= (async () => {
    const tools = await run.local(builderCommands.localDockerTools(), { level: "debug" });
    const kind = tools.stdout.trim();
    if (kind === "no-docker") throw new BuildError("Docker is not installed locally");
    return kind === "buildx";
  })();
  return run.services.once.localBuildx;
}

/** This machine's Docker architecture (`amd64`/`arm64`, from `docker info`): asked only when a build or a remote builder needs it, once. */
export function localArch(run: Run): Promise<string> {
  run.services.once.localArch ??= run
    .local(builderCommands.localArchitecture(), { level: "debug", allowFailure: true })
    .then((info) => dockerArch(info.stdout.trim()));
  return run.services.once.localArch;
}

/** Docker here: with buildx or not, which architecture. */
export async function localDocker(run: Run): Promise<LocalDocker> {
  const [buildx, arch] = await settleAll(hasBuildx(run), localArch(run));
  return { buildx, arch };
}

function dockerArch(architecture: string): string {
  if (architecture === "x86_64") return "amd64";
  if (architecture === "aarch64") return "arm64";
  return architecture;
}

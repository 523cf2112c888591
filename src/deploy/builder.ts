// The buildx builder (local, remote or hybrid): made sure of before a build, and `build create`,
// `build remove` and `build details`. Without buildx there is only the classic builder.
import { builder as builderCommands } from "../commands/index.js";
import type { BuilderKind } from "../commands/builder/kind.js";
import { localArch, localDocker } from "./local-docker.js";
import type { Run } from "./run.js";

export async function builderKind(run: Run): Promise<BuilderKind> {
  // The architecture only decides between local and remote/hybrid when a remote builder is set.
  return builderCommands.builderKind(run.config, run.config.builder.remote === undefined ? "" : await localArch(run));
}

/** Makes sure the buildx builder exists (re-creating an incompatible one), as Kamal does before building. */
export async function ensureBuilder(run: Run, kind: BuilderKind): Promise<void> {
  const inspect = builderCommands.buildx.inspectBuilder(run.config, kind);
  if (inspect === null) return;
  const result = await run.local(inspect, { level: "debug", allowFailure: true });
  if (result.code === 0) return;
  run.output.warn("Missing compatible builder, so creating a new one first");
  const remove = builderCommands.buildx.remove(run.config, kind);
  if (remove !== null) await run.local(remove, { allowFailure: true });
  const create = builderCommands.buildx.create(run.config, kind, (await localDocker(run)).arch);
  if (create !== null) await run.local(create);
}

// build create / remove / details --------------------------------------------------------

export async function createBuilder(run: Run): Promise<void> {
  const docker = await localDocker(run);
  if (!docker.buildx) return run.say("Nothing to create: without docker buildx, images are built by the classic builder", "yellow");
  const create = builderCommands.buildx.create(run.config, await builderKind(run), docker.arch);
  if (create === null) return run.say("Nothing to create for this builder", "yellow");
  await run.local(create);
}

export async function removeBuilder(run: Run): Promise<void> {
  const docker = await localDocker(run);
  if (!docker.buildx) return run.say("Nothing to remove: without docker buildx, images are built by the classic builder", "yellow");
  const remove = builderCommands.buildx.remove(run.config, await builderKind(run));
  if (remove === null) return run.say("Nothing to remove for this builder", "yellow");
  await run.local(remove);
}

export async function builderDetails(run: Run): Promise<void> {
  const docker = await localDocker(run);
  if (!docker.buildx) {
    const version = await run.local(builderCommands.dockerServerVersion(), { allowFailure: true });
    run.output.print(`Builder: classic docker build (no buildx plugin), Docker ${version.stdout.trim() || "unknown"}, ${docker.arch}`);
    return;
  }
  const result = await run.local(builderCommands.buildx.info(run.config, await builderKind(run)));
  run.output.print(result.stdout.trimEnd());
}

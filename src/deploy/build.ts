// Building and shipping the image (Kamal's cli/build.rb): build here, from a fresh git clone or the
// working tree (build-source.ts), push to the registry, then pull on the app hosts (image-pull.ts).
// `docker buildx build` where buildx exists; otherwise the classic `docker build` + `docker push`
// (Debian's docker.io has no buildx).
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builder as builderCommands } from "../commands/index.js";
import type { BuilderKind } from "../commands/builder/kind.js";
import type { ImageIdentity } from "../commands/builder/hosts.js";
import { settleAll } from "../util/settle.js";
import { BuildError } from "./build-error.js";
import { gitState, prepareBuildDirectory } from "./build-source.js";
import { builderKind, ensureBuilder } from "./builder.js";
import { lockClone } from "./clone-lock.js";
import { runHook } from "./hooks.js";
import { pullOnHosts } from "./image-pull.js";
import { hasBuildx, localArch, localDocker, type LocalDocker } from "./local-docker.js";
import { runLocalStep } from "./local-push.js";
import { loginLocally } from "./login.js";
import type { Run } from "./run.js";

// deploy.ts ships and pulls through this module.

export interface PushOptions {
  readonly noCache?: boolean;
  /** Stops before the next build or push step (a deploy whose lock was refused). */
  readonly stop?: AbortSignal;
}

/** What a deploy needs to know of the image it shipped. */
export interface ShippedImage {
  /**
   * The pushed image's ID in this machine's store (classic builds keep the image here; buildx
   * pushes without loading it). A host that holds the same ID under the tag has this very image.
   */
  readonly imageId: string | undefined;
  /**
   * Starts the remaining pushes (`repo:latest`) once, and waits for them. A deploy calls it after the
   * hosts pulled and before anything changes on them: docker-registry rewrites the links a pull reads
   * when the same manifest is pushed under another tag, and a pull that reads one then gets a 500.
   */
  readonly pushRest: () => Promise<void>;
  /** The remaining pushes if started (settled, whatever their outcome), so nothing runs on past the run. */
  readonly pushesSettled: () => Promise<void>;
}

/** `build push`: builds the image for this version and pushes it (`repo:VER` and `repo:latest`). */
export async function buildAndPush(run: Run, options: PushOptions = {}): Promise<void> {
  await (await shipBuild(run, options)).pushRest();
}

/**
 * Builds the image (unless this commit's image is here already) and pushes `repo:VER`; the push of
 * `repo:latest` is left to the caller, as the hosts pull the version's tag only.
 */
export async function shipBuild(run: Run, options: PushOptions = {}): Promise<ShippedImage> {
  await run.beforeFirstConnection();
  const config = run.config;
  const noCache = options.noCache ?? false;
  // Nothing orders Docker's probe, the login, git and the check for an earlier build: run them at once.
  const [buildx, , built, git] = await settleAll(hasBuildx(run), loginLocally(run), localImage(run, noCache), gitState(run));
  const kind = await builderKind(run);
  // Stopped (the build and pushes killed, with whatever they started) when the deploy's lock is
  // refused or a host fails, and at Ctrl-C/SIGTERM; they die with Berth if it is killed.
  const stop = options.stop === undefined ? run.interrupted : AbortSignal.any([options.stop, run.interrupted]);
  const stoppable = { signal: stop, dieWithParent: true };
  stop.throwIfAborted();
  await runHook(run, "pre-build");
  // The clone is HEAD: an image whose label records HEAD is what a rebuild would make. (An explicit
  // VERSION may name an image built from an earlier commit: that one is rebuilt, as Kamal does.)
  const revision = config.builder.usesGitClone && git !== undefined && git.revision !== "" ? git.revision : undefined;
  const reuse = built !== undefined && revision !== undefined && built.revision === revision && !buildx && kind === "local";
  // An image reused as it is needs no architecture: its push commands don't depend on it.
  const docker: LocalDocker = { buildx, arch: reuse ? "" : await localArch(run) };
  const commands = builderCommands.buildCommands(config, kind, { buildx: docker.buildx, localArch: docker.arch, noCache, ...(revision === undefined ? {} : { revision }) });
  const env = plainEnvironment(builderCommands.buildEnvironment(config, kind));
  const [build, ...pushes] = commands;
  let directory = run.cwd;
  let imageId = built?.id;
  if (reuse) {
    if (git !== undefined && git.uncommitted !== "") run.say(`Building from a local git clone, so ignoring these uncommitted changes:\n ${git.uncommitted}`, "yellow");
    run.say(`Image ${config.absoluteImage} was already built from this commit, ${config.registry.local ? "serving" : "pushing"} it (--no-cache rebuilds it)`, "yellow");
  } else {
    // The shared clone is this run's from its refresh to the end of the build (clone-lock.ts).
    const cloned = config.builder.usesGitClone ? await lockClone(run, builderCommands.cloneDirectory(config, { tmpdir: tmpdir(), pwd: run.cwd }), stop) : undefined;
    try {
      directory = await prepareBuildDirectory(run, { git });
      requireDockerfile(run, kind, directory);
      if (docker.buildx) await ensureBuilder(run, kind);
      else warnUnsupported(run, docker.arch);
      if (build !== undefined) await run.local(build, { cwd: directory, env, ...stoppable });
    } finally {
      cloned?.();
    }
    // buildx pushes without loading the image here, except for a local registry (Berth serves it from here).
    imageId = docker.buildx && !config.registry.local ? undefined : (await identityHere(run))?.id;
  }
  // Classic pushes, one per tag, one after the other: the second only sends a manifest. (In
  // parallel both upload the same layers, and docker-registry answers one of them with a 500.)
  const [first, ...rest] = pushes;
  stop.throwIfAborted();
  if (first !== undefined) await runLocalStep(run, first, { cwd: directory, env, ...stoppable });
  let remainingPushes: Promise<void> | undefined;
  const pushRest = (): Promise<void> =>
    (remainingPushes ??= (async () => {
      for (const push of rest) await runLocalStep(run, push, { cwd: directory, env, ...stoppable });
    })());
  const pushesSettled = async (): Promise<void> => {
    await remainingPushes?.catch(() => undefined);
  };
  return { imageId, pushRest, pushesSettled };
}

function warnUnsupported(run: Run, arch: string): void {
  const unsupported = builderCommands.classic.unsupportedSettings(run.config, arch);
  if (unsupported.length > 0) {
    run.output.warn(`docker buildx is not installed, building with the classic builder, which ignores: ${unsupported.join(", ")}`);
  }
}

/**
 * This machine's `repo:VER` when it may be reused: built from the git clone, whose commit its
 * revision label records (the caller compares it with HEAD), a rebuild would only replay Docker's
 * build cache to the same image. (A working-tree build may differ from the commit, and --no-cache
 * asks for a fresh build.)
 */
async function localImage(run: Run, noCache: boolean): Promise<ImageIdentity | undefined> {
  const config = run.config;
  if (noCache || !config.builder.usesGitClone || config.version.includes("_")) return undefined;
  const image = await identityHere(run);
  return image?.service === config.service ? image : undefined;
}

async function identityHere(run: Run): Promise<ImageIdentity | undefined> {
  const result = await run.local(builderCommands.imageIdentity(run.config), { level: "debug", allowFailure: true });
  return builderCommands.parseImageIdentity(result.stdout);
}

/** `build dev`: builds the working tree into the local image store, tagged `…-dirty`. */
export async function buildDev(run: Run, options: PushOptions & { exportType?: string } = {}): Promise<void> {
  const docker = await localDocker(run);
  const kind = await builderKind(run);
  const git = await gitState(run);
  if (git !== undefined && git.uncommitted !== "") run.say(`Building with uncommitted changes:\n ${git.uncommitted}`, "yellow");
  requireDockerfile(run, kind, run.cwd);
  const env = plainEnvironment(builderCommands.buildEnvironment(run.config, kind));
  if (docker.buildx) {
    await ensureBuilder(run, kind);
    const exportAction = options.exportType === "registry" ? "registry" : "docker";
    await run.local(builderCommands.buildx.push(run.config, kind, { exportAction, noCache: options.noCache ?? false, tagAsDirty: true }), { env });
  } else {
    await run.local(builderCommands.classic.build(run.config, { noCache: options.noCache ?? false, tagAsDirty: true }), { env });
  }
}

function requireDockerfile(run: Run, kind: BuilderKind, directory: string): void {
  if (kind === "pack") return;
  const dockerfile = run.config.builder.dockerfile;
  if (!run.fileExists(join(directory, dockerfile))) throw new BuildError(`Missing ${dockerfile} in ${directory}`);
}

function plainEnvironment(environment: Record<string, { value: string }>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value.value]));
}

/** `build deliver`: push, then pull on the hosts. */
export async function deliver(run: Run, options: PushOptions = {}): Promise<void> {
  await buildAndPush(run, options);
  await pullOnHosts(run);
}

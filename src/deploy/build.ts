// Building and shipping the image (Kamal's cli/build.rb): build here from a fresh git clone (or
// the working tree with `builder.context`), push to the registry, then pull on the app hosts.
// `docker buildx build` where buildx exists; otherwise the classic `docker build` + `docker push`
// (Debian's docker.io has no buildx). A deploy learns which image each host holds under the tag
// (host-state.ts): a host that holds the very image just pushed (same image ID, a content digest)
// skips the pull; the others log in, pull and check the `service` label in one round trip.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditor, builder as builderCommands } from "../commands/index.js";
import * as dockerApi from "../commands/docker-api.js";
import type { BatchStep } from "../commands/batch.js";
import type { BuilderKind } from "../commands/builder/kind.js";
import type { ImageIdentity } from "../commands/builder/hosts.js";
import type { CloneContext } from "../commands/builder/clone.js";
import { BerthError } from "../util/errors.js";
import { settleAll } from "../util/settle.js";
import { besideCarried } from "./beside.js";
import { lockClone } from "./clone-lock.js";
import { runHook } from "./hooks.js";
import { prepareImage, serveImagesTo } from "./image-delivery.js";
import { runLocalStep } from "./local-push.js";
import { loginLocally, remoteLoginCommand } from "./login.js";
import type { Run } from "./run.js";

export class BuildError extends BerthError {
  constructor(message: string) {
    super(message, "Kamal::Cli::Build::BuildError");
  }
}

export interface LocalDocker {
  /** `docker buildx version` works. */
  readonly buildx: boolean;
  /** `amd64`/`arm64`, from `docker info`. */
  readonly arch: string;
}

export interface PushOptions {
  readonly noCache?: boolean;
  /** Stops before the next build or push step (a deploy whose lock was refused). */
  readonly stop?: AbortSignal;
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

// Source: the git clone or the working tree ---------------------------------------------------

interface GitState {
  readonly root: string;
  readonly revision: string;
  readonly uncommitted: string;
}

async function gitState(run: Run): Promise<GitState | undefined> {
  const result = await run.local(builderCommands.gitState(), { level: "debug", allowFailure: true });
  if (result.code !== 0) return undefined;
  const [head, uncommitted = ""] = result.stdout.split("---\n");
  const [root = "", revision = ""] = (head ?? "").trim().split("\n");
  return { root, revision, uncommitted: uncommitted.trimEnd() };
}

/** Where the build runs: the refreshed clone of HEAD, or the project directory. */
export async function prepareBuildDirectory(run: Run, known?: { git: GitState | undefined }): Promise<string> {
  const builder = run.config.builder;
  const git = known === undefined ? await gitState(run) : known.git;
  if (!builder.usesGitClone) {
    if (git !== undefined && git.uncommitted !== "") run.say(`Building with uncommitted changes:\n ${git.uncommitted}`, "yellow");
    return run.cwd;
  }
  if (git === undefined || git.revision === "") {
    throw new BuildError(`Can't build from a git clone: ${run.cwd} is not a git repository with commits (set builder/context to build the directory as it is)`);
  }
  if (git.uncommitted !== "") run.say(`Building from a local git clone, so ignoring these uncommitted changes:\n ${git.uncommitted}`, "yellow");
  const context: CloneContext = { tmpdir: tmpdir(), pwd: run.cwd, gitRoot: git.root };
  const buildDirectory = builderCommands.buildDirectory(run.config, context);
  try {
    await refreshClone(run, context, buildDirectory, git.revision);
    await validateClone(run, context, buildDirectory, git.revision);
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    run.output.error(`Error preparing clone: ${error.message}, deleting and retrying...`);
    await run.local(builderCommands.removeClone(run.config, context), { level: "debug" });
    await cloneFresh(run, context, buildDirectory);
    await validateClone(run, context, buildDirectory, git.revision);
  }
  return buildDirectory;
}

async function refreshClone(run: Run, context: CloneContext, buildDirectory: string, revision: string): Promise<void> {
  if (!existsSync(join(buildDirectory, ".git")) && !existsSync(buildDirectory)) return cloneFresh(run, context, buildDirectory);
  if (await cloneIsAt(run, buildDirectory, revision)) return;
  run.output.info(`Resetting local clone as \`${buildDirectory}\` already exists...`);
  const result = await run.local(builderCommands.cloneReset(run.config, context, revision), { allowFailure: true });
  if (result.code !== 0) throw new BuildError(`Failed to clone repo: ${result.stderr.trim() || result.stdout.trim()}`);
}

/**
 * The reset (fetch, reset --hard, clean -fdx, submodules, gc) is a no-op when the clone is at the
 * revision with nothing modified, untracked or ignored and no submodules: then it is skipped.
 */
async function cloneIsAt(run: Run, buildDirectory: string, revision: string): Promise<boolean> {
  if (existsSync(join(buildDirectory, ".gitmodules"))) return false;
  const result = await run.local(builderCommands.cloneAt(buildDirectory), { level: "debug", allowFailure: true });
  const [status = "x", head = ""] = result.stdout.split("---\n");
  return result.code === 0 && status.trim() === "" && head.trim() === revision;
}

async function cloneFresh(run: Run, context: CloneContext, buildDirectory: string): Promise<void> {
  run.output.info(`Cloning repo into build directory \`${buildDirectory}\`...`);
  await run.local(builderCommands.cloneFresh(run.config, context));
}

async function validateClone(run: Run, context: CloneContext, buildDirectory: string, revision: string): Promise<void> {
  const result = await run.local(builderCommands.cloneCheck(run.config, context), { level: "debug", allowFailure: true });
  if (result.code !== 0) throw new BuildError(`Clone in ${buildDirectory} can't be read: ${result.stderr.trim()}`);
  const [status = "", cloned = ""] = result.stdout.split("---\n");
  if (status.trim() !== "") throw new BuildError(`Clone in ${buildDirectory} is dirty, ${status.trim()}`);
  if (cloned.trim() !== revision) {
    throw new BuildError(`Clone in ${buildDirectory} is not on the correct revision, expected \`${revision}\` but got \`${cloned.trim()}\``);
  }
}

// Builder (buildx only) -------------------------------------------------------------------

async function builderKind(run: Run): Promise<BuilderKind> {
  // The architecture only decides between local and remote/hybrid when a remote builder is set.
  return builderCommands.builderKind(run.config, run.config.builder.remote === undefined ? "" : await localArch(run));
}

/** Makes sure the buildx builder exists (re-creating an incompatible one), as Kamal does before building. */
async function ensureBuilder(run: Run, kind: BuilderKind): Promise<void> {
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

// build push / dev ---------------------------------------------------------------------------

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

// Pull on the hosts ---------------------------------------------------------------------------

/** The audit line of the pull. */
export async function pullAuditStep(run: Run): Promise<BatchStep> {
  return { command: auditor.record(run.config, await run.tags(), `Pulled image with version ${run.config.version}`), label: "audit" };
}

/** `docker login` on a host (none for a local registry). */
function loginSteps(run: Run): BatchStep[] {
  const login = remoteLoginCommand(run);
  return login === null ? [] : [{ command: login, label: "registry login" }];
}

/**
 * The pull itself and the `service` label check. (Kamal also removes the host's copy of the tag
 * first, `docker image rm --force`; `docker pull` resolves the tag against the registry anyway, so
 * Berth leaves that docker call out.)
 */
function fetchSteps(run: Run): BatchStep[] {
  // Where the host's Docker API is open, the pull goes as its request, with the registry's
  // credentials (the daemon has none of its own), and a stalled registry fails it (transfer.ts).
  const registry = run.config.registry;
  const auth = registry.local ? undefined : dockerApi.registryAuth(registry.username().value, registry.password().value, registry.server);
  return [
    { command: builderCommands.pull(run.config, auth), label: "pull" },
    { command: builderCommands.validateImage(run.config), label: "label check" },
  ];
}

/** `build pull`: login, audit, pull and label check on every selected app host, one round trip per host. */
export async function pullOnHosts(run: Run): Promise<void> {
  await serveImagesTo(run, run.selection.appHosts);
  await prepareImage(run, run.config.absoluteImage);
  const steps = [...loginSteps(run), await pullAuditStep(run), ...fetchSteps(run)];
  await run.on(run.selection.appHosts, (host) => run.batch(host, steps));
}

/**
 * A deploy's pull on one host, which said what it holds under the tag (`present`): a host holding
 * the image just pushed (same image ID, a digest of the image's content) has nothing to pull and
 * needs no registry login; the others log in, pull and check the label. (With a local registry,
 * the deploy opened the host's forward already: serveImagesTo.)
 */
export async function pullUnlessPresent(run: Run, host: string, present: ImageIdentity | undefined, pushedImageId: string | undefined): Promise<void> {
  const config = run.config;
  if (pushedImageId === undefined || present?.id !== pushedImageId) {
    await prepareImage(run, config.absoluteImage);
    // A pull by the Docker API brings its own credentials: the host's `docker login` (kept, as
    // Kamal leaves the host logged in) goes beside it.
    return void (await besideCarried(run, host, loginSteps(run), fetchSteps(run)));
  }
  if (present.service !== config.service) throw new BuildError(`Image ${config.absoluteImage} is missing the 'service' label`);
  run.output.info(`Image ${config.absoluteImage} on ${host} is the image just pushed (${present.id.slice(0, 19)}), not pulling it again`);
}

/** `build deliver`: push, then pull on the hosts. */
export async function deliver(run: Run, options: PushOptions = {}): Promise<void> {
  await buildAndPush(run, options);
  await pullOnHosts(run);
}

// This machine's checks: the configuration (loaded already: a broken one never gets here), the
// secrets it names, Docker, the builder the configuration asks for, and git. All local reads.
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { builder as builderCommands, doctor as probes } from "../commands/index.js";
import { builderKind } from "../commands/builder/kind.js";
import { unsupportedSettings } from "../commands/builder/classic.js";
import { namedSecrets, type Configuration } from "../config/index.js";
import type { Run } from "../deploy/run.js";
import { fail, messageOf, ok, skip, warn, type Check } from "./checks.js";

interface LocalDocker {
  readonly version: string | undefined;
  /** `amd64`/`arm64`. */
  readonly arch: string | undefined;
  readonly buildx: string | undefined;
  readonly error: string;
  readonly installed: boolean;
}

export async function checkLocal(run: Run): Promise<Check[]> {
  const [secrets, docker, git] = await Promise.all([checkSecrets(run), localDocker(run), checkGit(run)]);
  return [configurationCheck(run.config), secrets, dockerCheck(docker), await checkBuilder(run, docker), git];
}

function configurationCheck(config: Configuration): Check {
  const files = [config.configFile, config.destinationFile].filter((file) => file !== undefined).join(" + ");
  const roles = config.roles.length;
  const hosts = config.allHosts.length;
  return ok("configuration", `${files} is valid: ${roles} role${roles === 1 ? "" : "s"}, ${hosts} host${hosts === 1 ? "" : "s"}`);
}

async function checkSecrets(run: Run): Promise<Check> {
  const uses = namedSecrets(run.config);
  if (uses.length === 0) return ok("secrets", "the configuration names no secrets");
  let values: Readonly<Record<string, string>>;
  let files: readonly string[];
  try {
    const lookup = await run.secrets();
    values = lookup.all();
    files = lookup.files;
  } catch (error) {
    return fail("secrets", `the secrets could not be read: ${messageOf(error)}`, `fix ${run.config.secretsPath} (berth secrets print shows what it gives)`);
  }
  const missing = uses.filter((use) => !Object.hasOwn(values, use.name));
  const empty = uses.filter((use) => Object.hasOwn(values, use.name) && values[use.name]!.trim() === "");
  if (missing.length === 0 && empty.length === 0) {
    return ok("secrets", `${uses.map((use) => use.name).join(", ")} resolve${uses.length === 1 ? "s" : ""} and ${uses.length === 1 ? "is" : "are"} not empty`);
  }
  const read = files.length === 0 ? `no secrets file exists (${run.config.secretsPath})` : `read ${files.join(", ")}`;
  const problems = [
    ...missing.map((use) => `${use.name} (${use.where}) is missing`),
    ...empty.map((use) => `${use.name} (${use.where}) is empty`),
  ];
  const example = (missing[0] ?? empty[0])!.name;
  return fail("secrets", `${problems.join("; ")}; ${read}`, `define it in ${run.config.secretsPath}, e.g. ${example}=$${example} with ${example} set in the environment, or fetched from a vault with berth secrets fetch`);
}

async function localDocker(run: Run): Promise<LocalDocker> {
  const [info, buildx] = await Promise.all([
    run.local(probes.localDockerInfo(), { level: "debug", allowFailure: true }).catch((error: unknown) => ({ code: 127, stdout: "", stderr: messageOf(error) })),
    run.local(builderCommands.buildxVersion(), { level: "debug", allowFailure: true }).catch(() => ({ code: 1, stdout: "", stderr: "" })),
  ]);
  const parsed = info.code === 0 ? parseJson<{ ServerVersion?: string; Architecture?: string }>(info.stdout) : undefined;
  return {
    version: parsed?.ServerVersion,
    arch: parsed?.Architecture === undefined ? undefined : dockerArch(parsed.Architecture),
    buildx: buildx.code === 0 ? (buildx.stdout.trim().split(/\s+/)[1] ?? "") : undefined,
    error: info.stderr.trim(),
    installed: !(info.code === 127 || /not found|No such file/.test(info.stderr)),
  };
}

function dockerCheck(docker: LocalDocker): Check {
  if (docker.version !== undefined) return ok("docker", `Docker ${docker.version} (${docker.arch ?? "unknown architecture"})`);
  if (!docker.installed) return fail("docker", "docker is not installed here", "install Docker Engine (Debian: apt-get install docker.io); Berth builds and pushes the image with it");
  return fail("docker", `the Docker daemon does not answer: ${firstLine(docker.error)}`, "start it (systemctl start docker), or point DOCKER_HOST at a daemon you may use");
}

async function checkBuilder(run: Run, docker: LocalDocker): Promise<Check> {
  const config = run.config;
  if (docker.arch === undefined) return skip("builder", "not checked: Docker doesn't answer here");
  const kind = builderKind(config, docker.arch);
  const arches = config.builder.arches;
  const dockerfile = await dockerfileProblem(run);
  if (dockerfile !== undefined) return dockerfile;
  if (kind === "pack") {
    const pack = await run.local(probes.commandExists("pack"), { level: "debug", allowFailure: true });
    return pack.code === 0 ? ok("builder", "buildpacks with pack") : fail("builder", "builder.pack needs the pack CLI, which is not installed", "install pack (https://buildpacks.io/docs/for-platform-operators/how-to/integrate-ci/pack/)");
  }
  if (docker.buildx === undefined) {
    if (kind !== "local") return fail("builder", `a ${kind} builder needs docker buildx, which is not installed here`, "install the buildx plugin (Debian: apt-get install docker-buildx)");
    const foreign = arches.filter((arch) => arch !== docker.arch);
    if (foreign.length > 0) {
      return fail("builder", `builder.arch asks for ${foreign.join(", ")}, but without docker buildx only ${docker.arch} is built here`, "install the buildx plugin (and QEMU for emulation), or build on a remote builder (builder.remote)");
    }
    const ignored = unsupportedSettings(config, docker.arch);
    if (ignored.length > 0) return warn("builder", `classic docker build (no buildx), which ignores ${ignored.join(", ")}`, "install the buildx plugin (Debian: apt-get install docker-buildx)");
    return ok("builder", `classic docker build (no buildx) for ${docker.arch}`);
  }
  if (kind === "remote" || kind === "hybrid") {
    const remote = config.builder.remote!;
    const answer = await run.local(probes.remoteBuilderVersion(remote), { level: "debug", allowFailure: true, timeoutMs: 20_000 });
    if (answer.code !== 0) return fail("builder", `the remote builder ${remote} does not answer: ${firstLine(answer.stderr)}`, "check that you can ssh to it and that Docker runs there");
    return ok("builder", `docker buildx ${docker.buildx}, remote builder ${remote} (Docker ${answer.stdout.trim()})`);
  }
  const emulated = kind === "local" ? arches.filter((arch) => arch !== docker.arch && !emulates(arch)) : [];
  if (emulated.length > 0) {
    return fail("builder", `builder.arch asks for ${emulated.join(", ")}, which this ${docker.arch} machine can't run: no QEMU emulation registered`, "register it (apt-get install qemu-user-static binfmt-support), or build on a remote builder (builder.remote)");
  }
  return ok("builder", `docker buildx ${docker.buildx}, ${kind} build for ${arches.join(", ") || docker.arch}`);
}

/** The Dockerfile must be where the build looks: committed, for a build from a clone of HEAD. */
async function dockerfileProblem(run: Run): Promise<Check | undefined> {
  const builder = run.config.builder;
  if (builder.pack) return undefined;
  const dockerfile = builder.dockerfile;
  if (builder.usesGitClone) {
    const tracked = await run.local(probes.gitTracks(dockerfile), { level: "debug", allowFailure: true });
    if (tracked.code === 0) return undefined;
    return fail("builder", `${dockerfile} is not committed, and the build runs in a clone of HEAD`, `commit it (git add ${dockerfile} && git commit), or set builder.context to build this directory`);
  }
  const context = isAbsolute(builder.context) ? builder.context : join(run.cwd, builder.context);
  const path = isAbsolute(dockerfile) ? dockerfile : join(context, dockerfile);
  return existsSync(path) ? undefined : fail("builder", `${path} does not exist`, "set builder.dockerfile (or builder.context) to where it is");
}

/** Whether the kernel runs binaries of that architecture through QEMU (binfmt_misc). */
function emulates(arch: string): boolean {
  const qemu = arch === "arm64" ? "aarch64" : arch === "amd64" ? "x86_64" : arch;
  return existsSync(`/proc/sys/fs/binfmt_misc/qemu-${qemu}`);
}

async function checkGit(run: Run): Promise<Check> {
  const usesClone = run.config.builder.usesGitClone;
  const state = await run.local(probes.gitState(), { level: "debug", allowFailure: true });
  if (state.code !== 0) {
    const reason = /not a git repository/i.test(state.stderr) ? "this is not a git repository" : "the repository has no commit yet";
    const needed = usesClone ? "the build clones HEAD and the version is its commit" : "the version is the commit";
    return fail("git", `${reason}, and ${needed}`, "commit the app (git init && git add -A && git commit), or give --version and set builder.context");
  }
  const [head, changes = ""] = state.stdout.split("---\n");
  const [, revision = "", branch = ""] = (head ?? "").trim().split("\n");
  const short = revision.slice(0, 7);
  const changed = changes.split("\n").filter((line) => line.trim() !== "").length;
  if (changed === 0) return ok("git", `clean at ${short}${branch === "HEAD" ? " (detached)" : ` on ${branch}`}`);
  if (usesClone) {
    return warn("git", `${changed} uncommitted change${changed === 1 ? "" : "s"}: not deployed, the build clones HEAD (${short})`, "commit them to deploy them, or set builder.context to build this directory");
  }
  return warn("git", `${changed} uncommitted change${changed === 1 ? "" : "s"}: the version will be ${short}…_uncommitted_…`, "commit them for a version that names a commit");
}

function dockerArch(architecture: string): string {
  if (architecture === "x86_64") return "amd64";
  if (architecture === "aarch64") return "arm64";
  return architecture;
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.trim().split("\n").find((line) => line.trim() !== "")?.trim() ?? "no message";
}

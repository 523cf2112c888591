// `berth demo`: two local test servers and a registry (the project's test bed, kept running), the
// example app set up on them, then a second version deployed while a request loop checks that no
// request fails. Every step reuses what an earlier run left, so a second run only deploys.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { delimiter, join } from "node:path";
import {
  LOCK_FILE,
  NODE_IMAGE,
  ensureBaseImages,
  ensureLocalDocker,
  ensureRedisImage,
  lockHeldBy,
  startTestbed,
  type Testbed,
} from "../../testbed/index.js";
import { loadConfiguration } from "../cli/layers/config.js";
import type { Output } from "../output/index.js";
import { BerthError } from "../util/errors.js";
import { packageRoot } from "../util/package-root.js";
import { DEMO_LOAD, get, startLoad, type LoadResult } from "./load.js";
import { localDockerRunning, rememberStartedDockerd } from "./down.js";
import { DEMO_BED, DEMO_KEPT_BY, EXAMPLE_NAME } from "./names.js";
import { commitNextRelease, currentRelease, ensureProject, headCommit } from "./project.js";
import { type DemoServer, type DemoStep, type DemoSummary, type VersionServed } from "./summary.js";

export interface DemoContext {
  readonly output: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Options passed on to the berth commands the demo runs: ["-v"], ["--output", "json"]. */
  readonly berthFlags: readonly string[];
  /** Registers work to do however the demo ends (Ctrl-C included); returns its unregistration. */
  onExit(handler: () => void | Promise<void>): () => void;
}

export async function demoUp(context: DemoContext): Promise<DemoSummary> {
  const { output } = context;
  const entry = join(packageRoot(), "dist/bundle/berth.js");
  if (!existsSync(entry)) throw new BerthError(`berth demo runs Berth's own executable, ${entry}, which is missing: run npm run build`);
  const steps: DemoStep[] = [];
  const timed = async <T>(name: string, work: () => Promise<T>, note?: (result: T) => string | undefined): Promise<T> => {
    const startedAt = performance.now();
    const result = await work();
    const text = note?.(result);
    steps.push({ name, seconds: (performance.now() - startedAt) / 1000, ...(text ? { note: text } : {}) });
    return result;
  };

  output.say("Checking the local Docker daemon (this machine's own, where images are built)...");
  const dockerWasRunning = await localDockerRunning();
  await timed("local Docker", () => ensureLocalDocker(), () => (dockerWasRunning ? "running" : "started"));
  if (!dockerWasRunning) rememberStartedDockerd();

  const holder = await lockHeldBy(LOCK_FILE);
  if (holder !== undefined) output.say(`Waiting for the test servers in use (${holder}) to be stopped, up to 15 minutes...`);
  output.say("Starting two test servers (network namespaces with their own sshd and dockerd) and a registry...");
  const waitStartedAt = performance.now();
  let waitedSeconds = 0;
  const bed = await timed(
    "servers",
    () =>
      startTestbed({
        hosts: 2,
        name: DEMO_BED,
        keepRunning: DEMO_KEPT_BY,
        reuse: true,
        notice: (text) => output.info(text),
        onLockAcquired: () => (waitedSeconds = (performance.now() - waitStartedAt) / 1000),
      }),
    (started) => (started.reused ? "reused" : "started"),
  );
  if (waitedSeconds >= 1) {
    // The time spent waiting for another test bed is not the servers' start.
    const servers = steps.pop()!;
    steps.push({ name: "waiting", seconds: waitedSeconds, note: "for other test servers to stop" }, { ...servers, seconds: servers.seconds - waitedSeconds });
  }
  const releaseBed = context.onExit(() => bed.release());
  try {
    output.say("Building the base images (Node and Redis, from this machine's binaries) and pushing them to the registry...");
    await timed("images", async () => {
      await ensureBaseImages({ push: true });
      await ensureRedisImage({ push: true });
    });
    const project = await timed(
      "project",
      () => ensureProject(join(bed.workDir, EXAMPLE_NAME), bed.sshConfigPath),
      (made) => (made.reused ? "reused" : `examples/${EXAMPLE_NAME} copied and committed`),
    );
    const berth = berthRunner(entry, project.dir, bed, context);
    const webUrls = bed.hosts.map((host) => `http://${host.ip}`);

    const served = (await get(`${webUrls[0]}/up`, undefined, 2000)).status === 200;
    if (project.reused && served) {
      steps.push({ name: "setup", seconds: 0, note: "skipped: already set up" });
    } else {
      output.say(`Setting up the servers: berth setup (Docker network, Redis accessory, proxy, release ${currentRelease(project.dir)})...`);
      await timed("setup", () => berth(["setup"]));
    }
    const before: VersionServed = { versions: await versionsServed(webUrls), release: currentRelease(project.dir) };

    const release = await commitNextRelease(project.dir);
    const head = await headCommit(project.dir);
    output.say(`Deploying release ${release} (${head.slice(0, 12)}) with berth deploy, while requests go to both servers...`);
    const load = startLoad({ targets: webUrls, ...DEMO_LOAD });
    const stopLoad = context.onExit(async () => void (await load.stop()));
    let loadResult: LoadResult;
    try {
      await timed("deploy", () => berth(["deploy"]));
    } finally {
      loadResult = await load.stop();
      stopLoad();
    }
    const after: VersionServed = { versions: await versionsServed(webUrls), release };
    if (after.versions.some((version) => version !== head)) {
      throw new BerthError(`berth deploy finished, but the servers serve ${after.versions.join(", ")} instead of ${head}`);
    }
    return {
      servers: await serversOf(project.dir, head, context.env),
      before,
      after,
      load: loadResult,
      steps,
      projectDir: project.dir,
      url: `${webUrls[0]}/`,
      berthCommand: berthCommand(entry, context.env),
    };
  } finally {
    releaseBed();
    await bed.release();
  }
}

/** Runs `berth <args>` in the project as a user would (its own process, this terminal), or fails. */
function berthRunner(entry: string, dir: string, bed: Testbed, context: DemoContext): (args: readonly string[]) => Promise<void> {
  const dockerConfig = join(bed.workDir, "docker-config");
  mkdirSync(dockerConfig, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...context.env,
    // Its own Docker client config: the registry login stays with the demo, not in ~/.docker.
    DOCKER_CONFIG: dockerConfig,
    // The Berth proxy image is built on the test bed's Node image (no Docker Hub here).
    BERTH_PROXY_BASE_IMAGE: NODE_IMAGE,
  };
  delete env.VERSION; // would name the version instead of the commit
  return async (args) => {
    const child = spawn(process.execPath, [entry, ...args, ...context.berthFlags], { cwd: dir, env, stdio: "inherit" });
    const exited = new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    // A Ctrl-C reaches it from the terminal; a SIGTERM to the demo alone is passed on.
    const unregister = context.onExit(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    });
    const code = await exited.finally(unregister);
    if (code !== 0) {
      throw new BerthError(`berth ${args.join(" ")} failed (exit ${code}) in ${dir}; the servers are left as they are (berth demo --down removes them)`);
    }
  };
}

/** Undefined when `berth` on the PATH runs this very executable, else "node <entry>" (e.g. in a clone). */
function berthCommand(entry: string, env: DemoContext["env"]): string | undefined {
  const onPath = (env.PATH ?? "")
    .split(delimiter)
    .map((dir) => join(dir, "berth"))
    .find((file) => existsSync(file));
  try {
    if (onPath !== undefined && realpathSync(onPath) === realpathSync(entry)) return undefined;
  } catch {
    // unreadable: name the file
  }
  return `node ${entry}`;
}

async function versionsServed(urls: readonly string[]): Promise<string[]> {
  return Promise.all(
    urls.map(async (url) => {
      const answer = await get(`${url}/version`, undefined, 5000);
      return answer.status === 200 ? answer.body.trim() : "";
    }),
  );
}

/** Each host with the roles and accessories the project's deploy.yml puts on it. */
async function serversOf(dir: string, version: string, env: DemoContext["env"]): Promise<DemoServer[]> {
  const config = await loadConfiguration({ configFile: "config/deploy.yml", destination: undefined, version, cwd: dir, env, onSecrets: () => undefined });
  return config.allHosts.map((ip) => ({
    ip,
    runs: [...config.rolesOn(ip).map((role) => role.name), ...config.accessoriesOn(ip).map((accessory) => accessory.name)],
  }));
}

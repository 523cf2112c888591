// `berth demo --down`: removes what `berth demo` started: its test servers and registry (with the
// app's project and the registry login under their directory), the images it built and tagged in
// the local Docker, its build clone, and the local dockerd if the demo started it. The test bed's
// base images stay: they are a cache the tests share.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { LOCK_FILE, REGISTRY, TESTBED_ROOT, lockHeldBy, readKeptBed, removeTestbeds } from "../../testbed/index.js";
import { dockerPing } from "../../testbed/host.js";
import { isAlive, killProcesses } from "../../testbed/cleanup.js";
import { LOCAL_DOCKER_SOCKET } from "../../testbed/local-docker.js";
import type { Output } from "../output/index.js";
import { DEMO_BED, EXAMPLE_NAME } from "./names.js";

const run = promisify(execFile);

/** Repositories the demo's images are pushed to (the example's `image` and Berth's proxy beside it). */
export const DEMO_REPOSITORY_PREFIX = `${REGISTRY}/berth-demo/`;
/** Written when the demo started the local dockerd itself: its PID, for --down. */
const STARTED_DOCKERD = join(TESTBED_ROOT, ".demo-started-dockerd.pid");

export function demoProjectDirectory(): string {
  return join(TESTBED_ROOT, DEMO_BED, EXAMPLE_NAME);
}

/** Before the demo's first docker use: whether the local dockerd runs yet (false: the demo starts it). */
export async function localDockerRunning(): Promise<boolean> {
  return dockerPing(LOCAL_DOCKER_SOCKET);
}

export function rememberStartedDockerd(): void {
  const pid = readFileSync(join(TESTBED_ROOT, ".local-dockerd.pid"), "utf8").trim();
  writeFileSync(STARTED_DOCKERD, `${pid}\n`);
}

export async function demoDown(output: Output): Promise<string[]> {
  const removed: string[] = [];
  const bed = readKeptBed(join(TESTBED_ROOT, DEMO_BED));
  if (bed !== undefined) {
    const holder = await lockHeldBy(LOCK_FILE);
    if (holder !== undefined) output.say(`Waiting for the test servers in use (${holder}) to be stopped, up to 15 minutes...`);
    output.say("Removing the demo's test servers and registry...");
    await removeTestbeds({ purpose: "berth demo --down" });
    removed.push(`test servers ${bed.hosts.map((host) => host.ip).join(", ")} and the registry on ${REGISTRY}, with ${bed.workDir}`);
  }
  const clone = join(tmpdir(), "kamal-clones", `${EXAMPLE_NAME}-${createHash("sha256").update(demoProjectDirectory()).digest("hex").slice(0, 13)}`);
  if (existsSync(clone)) {
    rmSync(clone, { recursive: true, force: true });
    removed.push(`the build clone ${clone}`);
  }
  if (await dockerPing(LOCAL_DOCKER_SOCKET)) {
    const images = await demoImages();
    if (images.length > 0) {
      await run("docker", ["rmi", "--force", ...images]);
      removed.push(`${images.length} local image tags under ${DEMO_REPOSITORY_PREFIX}`);
    }
    const stopped = await stopDockerdStartedByDemo();
    if (stopped !== undefined) removed.push(stopped);
  }
  return removed;
}

/** `repository:tag` of every local image the demo built or tagged. */
export async function demoImages(): Promise<string[]> {
  const { stdout } = await run("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"]);
  return stdout.split("\n").filter((ref) => ref.startsWith(DEMO_REPOSITORY_PREFIX));
}

/** Stops the local dockerd if the demo started it and no test bed runs now (tests use it too). */
async function stopDockerdStartedByDemo(): Promise<string | undefined> {
  if (!existsSync(STARTED_DOCKERD)) return undefined;
  const pid = Number(readFileSync(STARTED_DOCKERD, "utf8").trim());
  if ((await lockHeldBy(LOCK_FILE)) !== undefined) return undefined;
  rmSync(STARTED_DOCKERD, { force: true });
  if (!Number.isInteger(pid) || !isAlive(pid) || !commandOf(pid).startsWith("dockerd")) return undefined;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 20_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) await killProcesses([pid]);
  return `the local dockerd the demo started (PID ${pid})`;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

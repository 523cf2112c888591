// Faults of the registry and of a host's disk during a deploy, on real servers: the registry
// stopped, frozen (connections accepted, never answered) or stalled in the middle of an upload
// while the image is pushed; cut off from the hosts (refused, or stalled in the middle of a
// download) while they pull; a host's disk full during the pull. Each deploy fails in bounded
// time with a message naming the step and the host, changes nothing on the servers (the old
// version serves throughout), and the next plain `berth deploy` brings every host to the new one.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, type Project } from "./support/project.js";
import { startRequestLoop } from "./support/request-loop.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let serving: string;

/** Berth gives up on a pull or push that reports no progress for this long (60 s by default). */
const STALL = { BERTH_REGISTRY_STALL_TIMEOUT: "5" };

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "registry-faults-e2e", dockerDiskMb: 512 });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2] } });
  serving = project.head();
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
});

afterAll(async () => {
  await bed?.stop();
});

afterEach(async () => {
  await bed.registryFaults.heal();
  for (const host of [h1, h2]) await bed.fillDisk(host, undefined);
});

/** A new commit whose image has a layer of `megabytes` of random bytes (a transfer a fault can stop halfway). */
function releaseWithLayer(name: string, megabytes: number): string {
  return project.release(name, { "payload.bin": randomBytes(megabytes * 1024 * 1024).toString("base64") });
}

async function appContainers(host: TestHost): Promise<string> {
  return sh(host, "docker ps -a --filter label=service=app --format '{{.Names}} {{.State}}' | sort");
}

/**
 * A deploy that must fail in less than `boundSeconds`, changing nothing on the servers: the same
 * containers before and after, and a request loop through both proxies answered by the old
 * version throughout. Returns the error output.
 */
async function failingDeploy(boundSeconds: number, env: Record<string, string> = {}): Promise<string> {
  const before = await Promise.all([h1, h2].map(appContainers));
  const loop = startRequestLoop({ servers: [h1.ip, h2.ip], path: "/version", concurrency: 2, pauseMs: 20, maxRequests: 20_000, maxDurationMs: 120_000 });
  const started = performance.now();
  const deploy = await berth(project, ["deploy"], env);
  const seconds = (performance.now() - started) / 1000;
  const requests = await loop.stop();
  const cause = deploy.stderr.split("\n").filter((line) => /Exception|exit status|stderr:/.test(line)).slice(0, 3).join(" | ");
  console.log(`${expect.getState().currentTestName}: failed in ${seconds.toFixed(1)} s; ${requests.length} requests answered by the old version; ${cause}`);
  expect(deploy.code, deploy.output).toBe(1);
  expect(seconds, deploy.output).toBeLessThan(boundSeconds);
  expect(deploy.stderr).not.toMatch(/^\s+at /m);
  expect(await Promise.all([h1, h2].map(appContainers))).toEqual(before);
  expect(requests.filter((request) => request.status !== 200 || request.body !== serving)).toEqual([]);
  expect((await h1.exec("test -e /root/.kamal/lock-app")).code).not.toBe(0);
  return deploy.stderr;
}

/** With the fault gone, a plain deploy brings every host to the new version. */
async function converge(version: string): Promise<void> {
  await bed.registryFaults.heal();
  for (const host of [h1, h2]) await bed.fillDisk(host, undefined);
  const deploy = await berth(project, ["deploy"]);
  expect(deploy.code, deploy.output).toBe(0);
  for (const host of [h1, h2]) {
    expect(await httpGet(host, "/version")).toEqual({ status: 200, body: version });
    expect(await sh(host, "docker ps --filter label=service=app --format '{{.Names}}'")).toBe(`app-web-${version}`);
  }
  serving = version;
}

const image = (): string => `${bed.registry}/berth-test/app`;

describe("the registry while the image is pushed", () => {
  it("stopped: the push fails at once, naming it", async () => {
    const version = project.release("push to a stopped registry");
    await bed.registryFaults.stop();
    const stderr = await failingDeploy(30);
    expect(stderr).toContain(`docker push ${image()}:${version}`);
    expect(stderr).toMatch(/connection refused/);
    await converge(version);
  });

  it("frozen (connections accepted, never answered): the push fails in bounded time, naming it", async () => {
    const version = project.release("push to a frozen registry");
    await bed.registryFaults.pause();
    const stderr = await failingDeploy(60, STALL);
    expect(stderr).toContain(`docker push ${image()}:${version}`);
    await converge(version);
  });

  it("blackholed: the push fails in bounded time, naming it", async () => {
    const version = project.release("push into a blackhole");
    await bed.registryFaults.cut("machine", "blackhole");
    const stderr = await failingDeploy(60, STALL);
    expect(stderr).toContain(`docker push ${image()}:${version}`);
    await converge(version);
  });

  it("stalled in the middle of an upload: the push fails after the stall timeout, naming it", async () => {
    const version = releaseWithLayer("push stalled halfway", 6);
    await bed.registryFaults.cut("machine", "stall", { afterBytes: 2_000_000 });
    const stderr = await failingDeploy(40, STALL);
    expect(stderr).toContain(`docker push ${image()}:${version}`);
    expect(stderr).toContain("no progress for 5 s: the registry stopped answering");
    await converge(version);
  });
});

describe("the registry while the hosts pull", () => {
  it("refused to the hosts: fails at once, naming the host and the step", async () => {
    const version = project.release("pull from a refused registry");
    await bed.registryFaults.cut("hosts", "refuse");
    const stderr = await failingDeploy(30, STALL);
    for (const host of [h1, h2]) expect(stderr).toContain(`Exception while executing on host ${host.ip}: docker login ${bed.registry}`);
    expect(stderr).toMatch(/connection refused/);
    await converge(version);
  });

  it("blackholed to the hosts: fails in bounded time, naming the host and the step", async () => {
    const version = project.release("pull from a blackhole");
    await bed.registryFaults.cut("hosts", "blackhole");
    const stderr = await failingDeploy(90, STALL);
    for (const host of [h1, h2]) expect(stderr).toContain(`Exception while executing on host ${host.ip}: docker login ${bed.registry}`);
    await converge(version);
  });

  it("stalled to the hosts (connections accepted, never answered): fails in bounded time, naming the host and the step", async () => {
    const version = project.release("pull from a stalled registry");
    await bed.registryFaults.cut("hosts", "stall");
    const stderr = await failingDeploy(90, STALL);
    for (const host of [h1, h2]) expect(stderr).toContain(`Exception while executing on host ${host.ip}: docker login ${bed.registry}`);
    await converge(version);
  });

  it("stalled in the middle of a download: fails after the stall timeout, naming the host and the pull", async () => {
    const version = releaseWithLayer("pull stalled halfway", 6);
    await bed.registryFaults.cut("hosts", "stall", { afterBytes: 2_000_000 });
    const stderr = await failingDeploy(40, STALL);
    for (const host of [h1, h2]) expect(stderr).toContain(`Exception while executing on host ${host.ip}: docker pull ${image()}:${version}`);
    expect(stderr).toContain("no progress for 5 s: the registry stopped answering");
    await converge(version);
  });
});

describe("a host's disk", () => {
  it("full during the pull: fails on that host, naming it and the pull", async () => {
    const version = releaseWithLayer("pull onto a full disk", 6);
    await bed.fillDisk(h2, 2);
    const stderr = await failingDeploy(40, STALL);
    expect(stderr).toContain(`Exception while executing on host ${h2.ip}: docker pull ${image()}:${version}`);
    expect(stderr).toContain("no space left on device");
    expect(stderr).not.toContain(`on host ${h1.ip}`);
    await converge(version);
  });
});

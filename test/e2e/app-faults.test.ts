// Faults of the app on real servers: a new version that never becomes healthy, one that crashes
// at start, one that boots slower than deploy_timeout, and a rollback to a version whose
// container and image were pruned. Each failing deploy ends in bounded time with a message
// naming the hosts and the container, a request loop through both proxies sees only the old
// version the whole time, and the next plain `berth deploy` (of a fixed commit) brings every host
// to that one version.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, type Project } from "./support/project.js";
import { startRequestLoop, type LoopRequest } from "./support/request-loop.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
/** The version every host serves (and must keep serving through a failed deploy). */
let serving: string;

const GOOD_START = `#!/bin/sh
mkdir -p /www
echo "$KAMAL_VERSION" > /www/version
echo ok > /www/up
trap 'exit 0' TERM INT
httpd -f -p 80 -h /www &
wait
`;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "app-faults-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  // deploy_timeout 10 s; one stopped container kept, so that a version is pruned after two deploys.
  project = createProject({ bed, roles: { web: [h1, h2] }, extra: "retain_containers: 1\n" });
  serving = project.head();
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
});

afterAll(async () => {
  await bed?.stop();
});

afterEach(async () => {
  for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: serving });
  expect((await h1.exec("test -e /root/.kamal/lock-app")).code).not.toBe(0);
});

async function webContainers(host: TestHost, status: "running" | "all"): Promise<string[]> {
  const filter = status === "running" ? "" : "-a";
  const names = await sh(host, `docker ps ${filter} --filter label=service=app --filter label=role=web --format '{{.Names}}'`);
  return names.split("\n").filter((name) => name !== "").sort();
}

/** A deploy that must fail, with a request loop through both proxies the whole time. */
async function failingDeploy(): Promise<{ output: string; stderr: string; stdout: string; seconds: number; requests: LoopRequest[] }> {
  const loop = startRequestLoop({ servers: [h1.ip, h2.ip], path: "/version", concurrency: 2, pauseMs: 20, maxRequests: 20_000, maxDurationMs: 120_000 });
  const started = performance.now();
  const result = await berth(project, ["deploy"]);
  const seconds = (performance.now() - started) / 1000;
  const requests = await loop.stop();
  const cause = result.stderr.split("\n").find((line) => line.includes("ERROR")) ?? "";
  console.log(`${expect.getState().currentTestName}: failed in ${seconds.toFixed(1)} s; ${requests.length} requests through both proxies meanwhile; ${cause.trim()}`);
  expect(result.code, result.output).toBe(1);
  expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
  return { ...result, seconds, requests };
}

/** Every request of the loop was answered by the version that was serving before (checked after converging, so a failure here leaves the next test a clean start). */
function expectOnlyOld(requests: readonly LoopRequest[], old: string): void {
  const first = requests[0]?.startedAt ?? 0;
  const other = requests.filter((request) => request.status !== 200 || request.body !== old);
  const shown = other.slice(0, 5).map((request) => `${request.servers.join("→")} at +${Math.round(request.startedAt - first)} ms: ${request.error ?? `${request.status} ${request.body}`}`);
  expect(shown, `${other.length} of ${requests.length} requests not answered by ${old}`).toEqual([]);
  expect(requests.length).toBeGreaterThan(20);
}

/** A fixed commit, deployed plainly: every host then runs exactly that one version. */
async function convergeWithFix(files: Record<string, string | null> = {}): Promise<void> {
  const fixed = project.release(`fixed after ${serving.slice(0, 7)}`, { "start.sh": GOOD_START, ...files });
  const deploy = await berth(project, ["deploy"]);
  expect(deploy.code, deploy.output).toBe(0);
  for (const host of [h1, h2]) {
    expect(await httpGet(host, "/version")).toEqual({ status: 200, body: fixed });
    expect(await webContainers(host, "running")).toEqual([`app-web-${fixed}`]);
  }
  serving = fixed;
}

describe("a new version that doesn't come up", () => {
  it("never healthy: fails within deploy_timeout with its logs, stops it, the old version serves throughout", async () => {
    const broken = project.release("never healthy", { broken: "no /up\n", "start.sh": GOOD_START.replace("echo ok > /www/up", '[ -f /app/broken ] || echo ok > /www/up\necho "started without /up"') });
    const deploy = await failingDeploy();
    expect(deploy.seconds).toBeLessThan(40);
    for (const host of [h1, h2]) {
      expect(deploy.stdout).toContain(`Failed to boot web on ${host.ip}`);
      expect(deploy.stdout).toContain(`Last 50 log lines of app-web-${broken} on ${host.ip}`);
      expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${broken}`)).toBe("exited");
      expect(await webContainers(host, "running")).toEqual([`app-web-${serving}`]);
    }
    expect(deploy.stdout).toContain("started without /up");
    expect(deploy.stderr).toMatch(/target failed to become healthy/);
    const old = serving;
    await convergeWithFix({ broken: null });
    expectOnlyOld(deploy.requests, old);
  });

  it("crashing at start: fails with the crash in its logs, the old version serves throughout", async () => {
    const crashing = project.release("crashes at start", { "start.sh": "#!/bin/sh\necho 'fatal: cannot open database' >&2\nexit 3\n" });
    const deploy = await failingDeploy();
    expect(deploy.seconds).toBeLessThan(40);
    for (const host of [h1, h2]) {
      expect(deploy.stdout).toContain(`Failed to boot web on ${host.ip}`);
      expect(await sh(host, `docker inspect --format '{{.State.Running}}' app-web-${crashing}`)).toBe("false");
      expect(await webContainers(host, "running")).toEqual([`app-web-${serving}`]);
    }
    expect(deploy.stdout).toContain("fatal: cannot open database");
    const old = serving;
    await convergeWithFix();
    expectOnlyOld(deploy.requests, old);
  });

  it("slower than deploy_timeout: fails at the timeout, stops it before it ever serves, the old version serves throughout", async () => {
    // Serves /up only 20 s after it starts; ends at once on SIGTERM (the trap is set before the wait).
    const slowStart = GOOD_START.replace("echo ok > /www/up\n", "").replace("httpd -f -p 80 -h /www &\n", "httpd -f -p 80 -h /www &\nsleep 20 & wait $!\necho ok > /www/up\n");
    const slow = project.release("boots in 20 s", { "start.sh": slowStart });
    const deploy = await failingDeploy();
    expect(deploy.seconds).toBeLessThan(40);
    expect(deploy.stderr).toMatch(/target failed to become healthy within configured timeout \(10s\)/);
    for (const host of [h1, h2]) {
      expect(deploy.stdout).toContain(`Failed to boot web on ${host.ip}`);
      expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${slow}`)).toBe("exited");
    }
    // Well past the moment it would have become healthy, nothing switched to it.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    for (const host of [h1, h2]) {
      expect(await httpGet(host, "/version")).toEqual({ status: 200, body: serving });
      expect(await webContainers(host, "running")).toEqual([`app-web-${serving}`]);
    }
    const old = serving;
    await convergeWithFix();
    expectOnlyOld(deploy.requests, old);
  });
});

describe("rollback to a version that was pruned", () => {
  it("refuses with the versions each host has, and changes nothing", async () => {
    // With retain_containers 1, deploying twice more prunes the first of these versions.
    const pruned = serving;
    const kept = project.release("kept", { "start.sh": GOOD_START });
    const first = await berth(project, ["deploy"]);
    expect(first.code, first.output).toBe(0);
    const current = project.release("current");
    const second = await berth(project, ["deploy"]);
    expect(second.code, second.output).toBe(0);
    serving = current;
    for (const host of [h1, h2]) {
      expect(await webContainers(host, "all")).toEqual([`app-web-${current}`, `app-web-${kept}`].sort());
      expect(await sh(host, `docker image ls -q ${bed.registry}/berth-test/app:${pruned}`)).toBe("");
    }
    // `kept` is gone from the second host too (by hand), so the hosts differ.
    await sh(h2, `docker rm app-web-${kept}`);
    const before = await Promise.all([h1, h2].map((host) => sh(host, "docker ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Status}}' | sed 's/ (.*//; s/Up .*/Up/; s/Exited .*/Exited/' | sort")));

    const refused = await berth(project, ["rollback", pruned]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `The app version '${pruned}' is not available as a container (missing for web on ${h1.ip}, web on ${h2.ip}), so nothing was changed. ` +
        `Versions available, newest first: on ${h1.ip}: ${current}, ${kept}; on ${h2.ip}: ${current}`,
    );
    expect(refused.stderr).not.toMatch(/^\s+at /m);
    const other = await berth(project, ["rollback", kept]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`The app version '${kept}' is not available as a container (missing for web on ${h2.ip})`);

    const after = await Promise.all([h1, h2].map((host) => sh(host, "docker ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Status}}' | sed 's/ (.*//; s/Up .*/Up/; s/Exited .*/Exited/' | sort")));
    expect(after).toEqual(before);
  });
});

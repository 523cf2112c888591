// The release phase (x-berth.release) and all-or-nothing deploys and rollbacks on real servers.
// The app's /flags is each host's /root/flags: a file there makes the release command fail
// (fail-release, read on the primary host) or a new container never healthy on that host
// (unhealthy), and the release command writes release.log there. Each test ends with the
// version it names serving on both hosts (asserted by the bytes served) and no lock left, but
// the last, where one host is left serving nothing rather than the new version.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, SECRET, type Project } from "./support/project.js";

// As support/project.ts's, with /up withheld while /flags/unhealthy exists on the host.
const START = `#!/bin/sh
mkdir -p /www
echo "$KAMAL_VERSION" > /www/version
[ -f /app/broken ] || [ -f /flags/unhealthy ] || echo ok > /www/up
trap 'exit 0' TERM INT
httpd -f -p 80 -h /www &
wait
`;

const RELEASE = `#!/bin/sh
echo "release of $KAMAL_VERSION on $KAMAL_HOST, secret of \${#SECRET_TOKEN} characters"
echo "$KAMAL_VERSION" >> /flags/release.log
sleep 1
if [ -f /flags/fail-release ]; then echo "migration 42 failed" >&2; exit 3; fi
if [ -f /flags/slow-release ]; then
  trap 'echo "release interrupted" >> /flags/release.log; exit 143' TERM
  echo "a long migration"
  sleep 60 & wait
fi
echo "migrations done"
`;

const EXTRA = `volumes:
  - /root/flags:/flags
x-berth:
  release:
    cmd: sh /app/release.sh
    timeout: 60
`;

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let v1: string;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "release-atomic-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2] }, extra: EXTRA });
  v1 = project.release("v1", { "start.sh": START, "release.sh": RELEASE });
  for (const host of [h1, h2]) await sh(host, "mkdir -p /root/flags");
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
});

afterAll(async () => {
  await bed?.stop();
});

async function servesEverywhere(version: string): Promise<void> {
  for (const host of [h1, h2]) expect(await httpGet(host, "/version"), host.ip).toEqual({ status: 200, body: version });
  expect((await h1.exec("test -e /root/.kamal/lock-app")).code, "the lock is released").not.toBe(0);
}

const releaseLog = async (host: TestHost): Promise<string[]> => (await sh(host, "cat /root/flags/release.log 2>/dev/null || true")).split("\n").filter(Boolean);

/** Docker's container events on a host since `since` (epoch seconds): time in ns, action, name. */
async function containerEvents(host: TestHost, since: number): Promise<{ ns: bigint; action: string; name: string }[]> {
  const text = await sh(host, `docker events --since ${since} --until $(($(date +%s) + 1)) --filter type=container --format '{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}}'`);
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" "))
    .map(([ns, action, name]) => ({ ns: BigInt(ns!), action: action!, name: name! }));
}

/** When the host's proxy switched its app-web service to a target (its "Deployed" log line), in ns. */
async function deployedAt(host: TestHost, containerId: string): Promise<bigint> {
  const line = (await sh(host, "docker logs --timestamps kamal-proxy 2>&1 | grep '\"Deployed\"'")).split("\n").find((entry) => entry.includes(containerId.slice(0, 12)));
  if (line === undefined) throw new Error(`no "Deployed" line for ${containerId} in ${host.ip}'s proxy log`);
  return BigInt(new Date(line.slice(0, 19) + "Z").getTime()) * 1_000_000n + BigInt(line.slice(20, 29).padEnd(9, "0"));
}

describe("the release phase", () => {
  it("fails: nothing switched, the old version serves on both hosts, the lock released, non-zero exit", async () => {
    await sh(h1, "touch /root/flags/fail-release");
    try {
      const v2 = project.release("v2");
      const deploy = await berth(project, ["deploy"]);
      expect(deploy.code).toBe(1);
      expect(deploy.stderr).toContain(`The release command \`sh /app/release.sh\` failed with exit status 3 on ${h1.ip}; no host was switched to ${v2}`);
      expect(deploy.stdout).toContain(`release ${h1.ip}| migration 42 failed`);
      expect(deploy.stdout).toContain("Released the deploy lock");
      for (const host of [h1, h2]) expect(await sh(host, `docker ps -a --filter name=app-web-${v2} -q`)).toBe("");
      expect(await sh(h1, "grep -c 'Release command failed with exit status 3' /root/.kamal/app-audit.log")).toBe("1");
      // The release container is gone (--rm).
      expect(await sh(h1, "docker ps -a --filter name=app-web-release- -q")).toBe("");
      await servesEverywhere(v1);
    } finally {
      await sh(h1, "rm -f /root/flags/fail-release");
    }
  });

  it("times out: stopped at --release-timeout (SIGTERM first), nothing switched, the old version serves, the lock released", async () => {
    await sh(h1, "touch /root/flags/slow-release");
    try {
      const v1b = project.release("v1b");
      const started = performance.now();
      const deploy = await berth(project, ["deploy", "--release-timeout", "3"]);
      const seconds = (performance.now() - started) / 1000;
      expect(deploy.code, deploy.output).toBe(1);
      expect(deploy.stderr).toContain(`The release command \`sh /app/release.sh\` did not finish within x-berth.release.timeout (3s) and was stopped on ${h1.ip}; no host was switched to ${v1b}`);
      expect(deploy.stdout).toContain(`release ${h1.ip}| a long migration`);
      expect(seconds).toBeLessThan(30);
      // The container got SIGTERM (its trap ran) and is gone; no new version started anywhere.
      expect(await releaseLog(h1)).toContain("release interrupted");
      expect(await sh(h1, "docker ps -a --filter name=app-web-release- -q")).toBe("");
      for (const host of [h1, h2]) expect(await sh(host, `docker ps -a --filter name=app-web-${v1b} -q`)).toBe("");
      expect(await sh(h1, "grep -c 'Release command did not finish within x-berth.release.timeout (3s) and was stopped' /root/.kamal/app-audit.log")).toBe("1");
      await servesEverywhere(v1);
    } finally {
      await sh(h1, "rm -f /root/flags/slow-release /root/flags/release.log");
    }
  });

  it("succeeds: runs exactly once, on the primary host, with the role's env, and ends before any new container starts or any proxy switches", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const before = await releaseLog(h1);
    const v3 = project.release("v3");
    const deploy = await berth(project, ["deploy"]);
    expect(deploy.code, deploy.output).toBe(0);
    expect(deploy.stdout).toContain(`release ${h1.ip}| release of ${v3} on ${h1.ip}, secret of ${SECRET.length} characters`);
    expect(deploy.stdout).toContain(`release ${h1.ip}| migrations done`);
    expect(await releaseLog(h1)).toEqual([...before, v3]);
    expect(await releaseLog(h2)).toEqual([]);

    const events1 = await containerEvents(h1, since);
    const releases = events1.filter((event) => event.name.startsWith(`app-web-release-${v3}-`));
    expect(releases.filter((event) => event.action === "start")).toHaveLength(1);
    const finished = releases.find((event) => event.action === "die")!.ns;
    const started = releases.find((event) => event.action === "start")!.ns;
    expect((await containerEvents(h2, since)).some((event) => event.name.includes("-release-"))).toBe(false);
    for (const host of [h1, h2]) {
      const boot = (host === h1 ? events1 : await containerEvents(host, since)).find((event) => event.name === `app-web-${v3}` && event.action === "start");
      expect(boot, host.ip).toBeDefined();
      const switched = await deployedAt(host, await sh(host, `docker inspect --format '{{.Id}}' app-web-${v3}`));
      // release start < release end < the new container's start < the proxy's switch to it
      expect(started < finished && finished < boot!.ns && boot!.ns < switched, `${host.ip}: release ${started}-${finished}, boot ${boot!.ns}, switch ${switched}`).toBe(true);
    }
    const audit = await sh(h1, "cat /root/.kamal/app-audit.log");
    expect(audit).toMatch(new RegExp(`Running release command in app-web-release-${v3}-[0-9a-f]{6}: sh /app/release.sh`));
    expect(audit).toMatch(/Release command finished in \d+\.\ds/);
    await servesEverywhere(v3);
  });
});

describe("all-or-nothing", () => {
  it("deploy --atomic: one host's new container never gets healthy, so the host that switched goes back, and every host serves the old version", async () => {
    const v3 = project.head();
    const logged = await releaseLog(h1);
    await sh(h2, "touch /root/flags/unhealthy");
    try {
      const v4 = project.release("v4");
      const deploy = await berth(project, ["deploy", "--atomic", "--skip-release"]);
      expect(deploy.code).toBe(1);
      expect(deploy.stdout).toContain(`The deploy of ${v4} failed: web on ${h2.ip}.`);
      expect(deploy.stdout).toContain(`Reverted web on ${h1.ip}: app-web-${v4} -> app-web-${v3}`);
      // h1 had switched to v4 (its proxy said so) before it went back.
      await deployedAt(h1, await sh(h1, `docker inspect --format '{{.Id}}' app-web-${v4}`));
      for (const host of [h1, h2]) {
        expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${v4}`)).toBe("exited");
        expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${v3}`)).toBe("running");
      }
      expect(await releaseLog(h1), "--skip-release").toEqual(logged);
      await servesEverywhere(v3);
    } finally {
      await sh(h2, "rm -f /root/flags/unhealthy");
    }
  });

  it("rollback: all-or-nothing by default, the host that switched back to the version it left when the other fails", async () => {
    const v3 = (await httpGet(h1, "/version")).body;
    const target = v1;
    await sh(h2, "touch /root/flags/unhealthy");
    try {
      const rollback = await berth(project, ["rollback", target]);
      expect(rollback.code).toBe(1);
      expect(rollback.stdout).toContain(`The rollback to ${target} failed: web on ${h2.ip}.`);
      expect(rollback.stdout).toContain(`Reverted web on ${h1.ip}: app-web-${target} -> app-web-${v3}`);
      await servesEverywhere(v3);
    } finally {
      await sh(h2, "rm -f /root/flags/unhealthy");
    }
  });

  it("deploy --atomic: a host where nothing ran before doesn't keep the new version when another host fails", async () => {
    const v3 = (await httpGet(h1, "/version")).body;
    // h2 runs nothing of the app (as a host just added to the fleet would); h1's new container won't get healthy.
    await sh(h2, `docker stop app-web-${v3}`);
    await sh(h1, "touch /root/flags/unhealthy");
    try {
      const v5 = project.release("v5");
      const deploy = await berth(project, ["deploy", "--atomic", "--skip-release"]);
      expect(deploy.code).toBe(1);
      expect(deploy.stdout).toContain(`The deploy of ${v5} failed: web on ${h1.ip}.`);
      expect(deploy.stdout).toContain(`Reverted web on ${h2.ip}: app-web-${v5} stopped (nothing ran there before)`);
      await deployedAt(h2, await sh(h2, `docker inspect --format '{{.Id}}' app-web-${v5}`));
      expect(await sh(h2, `docker inspect --format '{{.State.Status}}' app-web-${v5}`)).toBe("exited");
      expect((await fetch(`http://${h2.ip}/version`, { signal: AbortSignal.timeout(5000) }).then((response) => response.text())).trim()).not.toBe(v5);
      expect(await httpGet(h1, "/version")).toEqual({ status: 200, body: v3 });
    } finally {
      await sh(h1, "rm -f /root/flags/unhealthy");
    }
  });
});

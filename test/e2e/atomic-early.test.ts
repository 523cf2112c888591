// All-or-nothing deploys stop at the first failure, on real servers: three web hosts; the first
// host's boot fails at once (its env directory can't be made), while the other two are still
// waiting for their new container's health check (/flags/slow-up holds /up back 5 s). With
// --atomic those two never switch: their new containers are stopped before they serve, which the
// bytes served meanwhile and their proxies' logs show. Without it they go on and switch, as
// Kamal's do (and Berth puts them back). Each test ends with the old version serving on every
// host and no lock left.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, type BerthResult, type Project } from "./support/project.js";

// As support/project.ts's, with /up late while /flags/slow-up exists on the host.
const START = `#!/bin/sh
mkdir -p /www
echo "$KAMAL_VERSION" > /www/version
if [ -f /flags/slow-up ]; then (sleep 5; echo ok > /www/up) & else echo ok > /www/up; fi
trap 'exit 0' TERM INT
httpd -f -p 80 -h /www &
wait
`;

const ENV_ROLES = "/root/.kamal/apps/app/env/roles";

let bed: Testbed;
let hosts: TestHost[];
let project: Project;
let v1: string;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 3, name: "atomic-early-e2e" });
  hosts = [...bed.hosts];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: hosts }, extra: "volumes:\n  - /root/flags:/flags\n" });
  v1 = project.release("v1", { "start.sh": START });
  for (const host of hosts) await sh(host, "mkdir -p /root/flags");
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
  // The first host can't write the new version's env file: its boot fails within a round trip.
  await sh(hosts[0]!, `rm -rf ${ENV_ROLES} && touch ${ENV_ROLES}`);
  for (const host of hosts.slice(1)) await sh(host, "touch /root/flags/slow-up");
});

afterAll(async () => {
  await bed?.stop();
});

/** The deploy, with every host's /version read every 200 ms while it runs: the versions seen per host. */
async function deployWatched(args: readonly string[]): Promise<{ deploy: BerthResult; seen: Map<string, Set<string>> }> {
  const seen = new Map(hosts.map((host) => [host.ip, new Set<string>()]));
  let running = true;
  const watching = (async () => {
    while (running) {
      await Promise.all(hosts.map(async (host) => seen.get(host.ip)!.add((await httpGet(host, "/version").catch(() => ({ body: "unreachable" }))).body)));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  try {
    return { deploy: await berth(project, args), seen };
  } finally {
    running = false;
    await watching;
  }
}

/** The proxy's "Deployed" log lines naming the container (its first 12 characters); none where it never was. */
async function switchesTo(host: TestHost, container: string): Promise<string[]> {
  const id = await sh(host, `docker ps --all --quiet --no-trunc --filter 'name=^${container}$'`);
  if (id === "") return [];
  const lines = await sh(host, "docker logs kamal-proxy 2>&1 | grep '\"Deployed\"' || true");
  return lines.split("\n").filter((line) => line.includes(id.slice(0, 12)));
}

async function servesEverywhere(version: string): Promise<void> {
  for (const host of hosts) expect(await httpGet(host, "/version"), host.ip).toEqual({ status: 200, body: version });
  expect((await hosts[0]!.exec("test -e /root/.kamal/lock-app")).code, "the lock is released").not.toBe(0);
}

describe("the first failure of an all-or-nothing deploy", () => {
  it("--atomic: the hosts still waiting for their health check never switch; their new containers are stopped and the report names them", async () => {
    const [h1, h2, h3] = hosts as [TestHost, TestHost, TestHost];
    const v2 = project.release("v2");
    const started = performance.now();
    const { deploy, seen } = await deployWatched(["deploy", "--atomic"]);
    const seconds = (performance.now() - started) / 1000;
    expect(deploy.code, deploy.output).toBe(1);
    expect(deploy.stdout).toContain(`The deploy of ${v2} failed: web on ${h1.ip}.`);
    for (const host of [h2, h3]) expect(deploy.stdout).toContain(`Not switched: web on ${host.ip} (web on ${h1.ip} failed)`);
    expect(deploy.stdout).toContain("No host had switched to it: every host runs what it ran before.");
    expect(deploy.stdout).toContain("Released the deploy lock");
    for (const host of hosts) {
      expect([...seen.get(host.ip)!], host.ip).toEqual([v1]);
      expect(await switchesTo(host, `app-web-${v2}`), host.ip).toEqual([]);
      expect(await sh(host, `docker ps --quiet --filter 'name=^app-web-${v2}$'`), host.ip).toBe("");
    }
    // On the others the new container had started (and was stopped), but the proxy never sent it traffic.
    for (const host of [h2, h3]) expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${v2}`), host.ip).toBe("exited");
    for (const host of [h2, h3]) expect(await sh(host, `grep -c 'Booted app version ${v2}' /root/.kamal/app-audit.log`), host.ip).toBe("1");
    expect(seconds, "the switches under way end at deploy_timeout (10 s)").toBeLessThan(45);
    await servesEverywhere(v1);
  });

  it("without it: the other hosts go on and switch, as Kamal's do, and are put back", async () => {
    const [h1, h2, h3] = hosts as [TestHost, TestHost, TestHost];
    const v3 = project.release("v3");
    const { deploy } = await deployWatched(["deploy"]);
    expect(deploy.code, deploy.output).toBe(1);
    expect(deploy.output).not.toContain("Not switched");
    expect(deploy.output).toContain(`Failed to boot web on ${h1.ip}`);
    for (const host of [h2, h3]) expect(await switchesTo(host, `app-web-${v3}`), host.ip).toHaveLength(1);
    expect(await switchesTo(h1, `app-web-${v3}`)).toEqual([]);
    await servesEverywhere(v1);
  });
});

// `berth setup`, `deploy`, `rollback`, role/host filters and `remove` against real servers: two
// hosts with their own sshd and dockerd, the bed's registry, and Berth's proxy container. Host 2
// runs the web role and a worker role (two roles on one host).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { SECRET, berth, createProject, httpGet, sh, type Project } from "./support/project.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let v1: string;
let v2: string;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "deploy-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2], worker: [h2] } });
  v1 = project.head();
});

afterAll(async () => {
  await bed?.stop();
});

async function runningVersions(host: TestHost, role: string): Promise<string[]> {
  const names = await sh(host, `docker ps --filter label=service=app --filter label=role=${role} --format '{{.Names}}'`);
  return names.split("\n").filter((name) => name !== "").map((name) => name.replace(`app-${role}-`, "")).sort();
}

describe("berth setup and deploy", () => {
  it("setup on fresh servers boots the proxy and the app; every host serves it on port 80", async () => {
    const result = await berth(project, ["setup", "-v"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("Finished all in");

    for (const host of [h1, h2]) {
      expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v1 });
      expect((await httpGet(host, "/release")).body).toBe("v1");
      expect(await runningVersions(host, "web")).toEqual([v1]);
      // Berth's proxy, from the app's registry, with the label Kamal's proxy commands filter on.
      expect(await sh(host, "docker inspect kamal-proxy --format '{{.Config.Image}}'")).toBe(`${bed.registry}/berth-test/berth-proxy:v0.9.2.0.1.2`);
      expect(await sh(host, "docker inspect kamal-proxy --format '{{index .Config.Labels \"org.opencontainers.image.title\"}}'")).toBe("kamal-proxy");
    }
    expect(await runningVersions(h2, "worker")).toEqual([v1]);
    expect(await runningVersions(h1, "worker")).toEqual([]);
    // No lock is left behind; the audit log says what happened.
    expect((await h1.exec("test -e /root/.kamal/lock-app")).code).not.toBe(0);
    expect(await sh(h1, "cat /root/.kamal/app-audit.log")).toContain(`Booted app version ${v1}`);
  });

  it("keeps the secret out of argv and output: it is only in the 0600 env files", async () => {
    for (const host of [h1, h2]) {
      expect(await sh(host, "stat -c %a /root/.kamal/apps/app/env/roles/web.env")).toBe("600");
      expect(await sh(host, "cat /root/.kamal/apps/app/env/roles/web.env")).toBe(`SECRET_TOKEN=${SECRET}`);
      const argv = await sh(host, `docker inspect --format '{{json .Path}} {{json .Args}} {{json .Config.Cmd}} {{json .Config.Entrypoint}}' app-web-${v1}`);
      expect(argv).not.toContain(SECRET);
      // The container does get it, from the env file.
      expect(await sh(host, `docker exec app-web-${v1} sh -c 'echo $SECRET_TOKEN'`)).toBe(SECRET);
    }
    expect(await sh(h2, "stat -c %a /root/.kamal/apps/app/env/roles/worker.env")).toBe("600");
    expect(await sh(h2, `docker exec app-worker-${v1} sh -c 'echo $ROLE_NAME'`)).toBe("worker");
    // A verbose deploy shows every command, and still never the secret.
    const result = await berth(project, ["deploy", "-v"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("docker run --detach --restart unless-stopped --name app-web-");
    expect(result.stdout).toContain("--env-file .kamal/apps/app/env/roles/web.env");
    expect(result.output).not.toContain(SECRET);
    expect(result.output).not.toContain("registry-password-77");
  });

  it("deploys a new version: every host serves it through the proxy, the old containers are stopped", async () => {
    v2 = project.release("v2");
    const result = await berth(project, ["deploy", "-v"]);
    expect(result.code, result.output).toBe(0);
    // One shared SSH connection per host for the whole deploy.
    expect(result.output.match(/Connected to \S+ in/g)?.sort()).toEqual([`Connected to ${h1.ip} in`, `Connected to ${h2.ip} in`]);
    // The switch went to the Berth proxy's control socket over that connection, not by docker exec.
    expect(result.stdout).toMatch(new RegExp(`Running kamal-proxy deploy app-web --target="[0-9a-f]{12}:80" .* on ${h1.ip.replace(/\./g, "\\.")}`));
    expect(result.stdout).toContain("(on the proxy's control socket, over the SSH connection)");
    expect(result.stdout).not.toContain("docker exec kamal-proxy kamal-proxy deploy");
    // What the hosts run was read, and the old containers stopped, by Docker API requests over that
    // connection (the results are checked on the hosts below).
    expect(result.stdout).toMatch(new RegExp(`Running docker stop app-web-${v1} on ${h1.ip.replace(/\./g, "\\.")}`));
    expect(result.stdout).toContain(`POST /containers/app-web-${v1}/stop (Docker API, over the SSH connection)`);
    expect(result.stdout).toContain("GET /containers/json?all=1&filters=");
    expect(result.stdout).toMatch(/\d+ Docker API requests/);
    // The new containers were created by the API too; the same docker run, run by hand, makes the same container.
    expect(result.stdout).toContain(`POST /containers/create?name=app-web-${v2} ; POST /containers/app-web-${v2}/start (Docker API, over the SSH connection)`);
    const dockerRun = new RegExp(`Running (docker run --detach .*--name app-web-${v2} .*) on ${h1.ip.replace(/\./g, "\\.")}$`, "m").exec(result.stdout)![1]!;
    await sh(h1, `cd /root && ${dockerRun.replace(`--name app-web-${v2}`, "--name parity-check")} >/dev/null && docker stop parity-check >/dev/null`);
    const shape = async (name: string): Promise<unknown> => {
      const [config, hostConfig] = JSON.parse(`[${await sh(h1, `docker inspect --format '{{json .Config}},{{json .HostConfig}}' ${name}`)}]`) as [Record<string, unknown>, Record<string, unknown>];
      // Empty lists come back as null or [] depending on who created the container; the hostname is
      // random; the docker CLI itself sends --env values in a different order from run to run.
      const empty = (value: unknown): unknown => (Array.isArray(value) && value.length === 0) || (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) ? null : value;
      return {
        config: { ...Object.fromEntries(Object.entries(config).map(([key, value]) => [key, empty(value)])), Hostname: "random", Env: [...(config.Env as string[])].sort() },
        hostConfig: Object.fromEntries(Object.entries(hostConfig).map(([key, value]) => [key, empty(value)])),
      };
    };
    const byHand = JSON.stringify(await shape("parity-check")).replaceAll("parity-check", `app-web-${v2}`);
    expect(JSON.parse(byHand)).toEqual(await shape(`app-web-${v2}`));
    await sh(h1, "docker rm parity-check");
    for (const host of [h1, h2]) {
      expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v2 });
      expect((await httpGet(host, "/release")).body).toBe("v2");
      expect(await runningVersions(host, "web")).toEqual([v2]);
      // The previous version is kept (stopped) for rollback.
      expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${v1}`)).toBe("exited");
      // Tagged as latest once every host booted it.
      const imageId = (tag: string): Promise<string> => sh(host, `docker image inspect --format '{{.Id}}' ${bed.registry}/berth-test/app:${tag}`);
      expect(await imageId("latest")).toBe(await imageId(v2));
    }
    expect(await runningVersions(h2, "worker")).toEqual([v2]);
  });

  it("switches through the control socket from the installed executable too, also when it runs from its code cache", async () => {
    // The bundle, as installed, twice: the first run writes its V8 code cache, the second runs from
    // it. `redeploy` (no prune), so the containers the tests below roll back to stay.
    const cacheHome = mkdtempSync(join(tmpdir(), "berth-e2e-cache-"));
    try {
      for (const run of ["compiled", "from the code cache"]) {
        const result = spawnSync(process.execPath, [join(import.meta.dirname, "../../dist/bundle/berth.js"), "redeploy", "-v"], {
          cwd: project.dir,
          env: { ...process.env, BERTH_PROXY_BASE_IMAGE: "berth-test/node:20", DOCKER_CONFIG: project.dockerConfig, CI: "true", VERSION: "", XDG_CACHE_HOME: cacheHome },
          encoding: "utf8",
          timeout: 120_000,
        });
        expect(result.status, `${run}: ${result.stdout}${result.stderr}`).toBe(0);
        expect(result.stdout, run).toContain("(on the proxy's control socket, over the SSH connection)");
        expect(result.stdout, run).not.toContain("docker exec kamal-proxy kamal-proxy deploy");
      }
      expect(readdirSync(join(cacheHome, "berth")).some((name) => name.includes("-redeploy-"))).toBe(true);
    } finally {
      rmSync(cacheHome, { recursive: true, force: true });
    }
    for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v2 });
  });

  it("rolls back to the previous version, and names the versions there are when asked for one that isn't", async () => {
    const missing = await berth(project, ["rollback", "0123456789abcdef"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("The app version '0123456789abcdef' is not available as a container");
    expect(missing.stderr).toContain(v1);
    expect((await h1.exec("test -e /root/.kamal/lock-app")).code).not.toBe(0);

    const result = await berth(project, ["rollback", v1]);
    expect(result.code, result.output).toBe(0);
    for (const host of [h1, h2]) {
      expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v1 });
      expect(await runningVersions(host, "web")).toEqual([v1]);
    }
    expect(await runningVersions(h2, "worker")).toEqual([v1]);
  });

  it("deploys only the selected roles (-r) and hosts (-h)", async () => {
    const v3 = project.release("v3");
    const workerOnly = await berth(project, ["deploy", "-r", "worker"]);
    expect(workerOnly.code, workerOnly.output).toBe(0);
    expect(await runningVersions(h2, "worker")).toEqual([v3]);
    expect(await runningVersions(h2, "web")).toEqual([v1]);
    expect(await runningVersions(h1, "web")).toEqual([v1]);

    const firstHost = await berth(project, ["deploy", "-h", h1.ip]);
    expect(firstHost.code, firstHost.output).toBe(0);
    expect((await httpGet(h1, "/version")).body).toBe(v3);
    expect((await httpGet(h2, "/version")).body).toBe(v1);
    expect(await runningVersions(h2, "worker")).toEqual([v3]);
  });

  it("remove leaves no container, image, network or app directory on any host", async () => {
    const refused = await berth(project, ["remove"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("pass -y");

    const result = await berth(project, ["remove", "-y"]);
    expect(result.code, result.output).toBe(0);
    for (const host of [h1, h2]) {
      expect(await sh(host, "docker ps -aq")).toBe("");
      expect(await sh(host, "docker images -q")).toBe("");
      expect(await sh(host, "docker network ls --filter name=^kamal$ -q")).toBe("");
      expect((await host.exec("test -e /root/.kamal/apps/app")).code).not.toBe(0);
      expect((await host.exec("test -e /root/.kamal/proxy")).code).not.toBe(0);
      await expect(httpGet(host, "/version")).rejects.toThrow();
    }
  });
});

// The rest of app boot on real servers: hosts booted one group at a time (boot.limit) with the
// pre/post-app-boot hooks around each group, custom error pages given to the proxy, asset
// bridging between versions, the post-deploy hook's runtime, redeploy, and the prune's
// retain_containers.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, type Project } from "./support/project.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let v1: string;
let v2: string;
let v3: string;

const hookLog = (): string[] => readFileSync(join(project.dir, "hooks.log"), "utf8").trim().split("\n");

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "deploy-features-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({
    bed,
    roles: { web: [h1, h2] },
    extra: "boot:\n  limit: 1\nerror_pages_path: errors\nasset_path: /app/assets\nretain_containers: 2\n",
  });
  mkdirSync(join(project.dir, "errors"));
  writeFileSync(join(project.dir, "errors/503.html"), "<h1>Back soon: {{ .Message }}</h1>\n");
  mkdirSync(join(project.dir, "assets"));
  writeFileSync(join(project.dir, "assets/app-v1.css"), "body { color: red }\n");
  for (const hook of ["pre-app-boot", "post-app-boot"]) project.writeHook(hook, `echo "${hook} $KAMAL_HOSTS" >> "$PWD/hooks.log"`);
  project.writeHook("post-deploy", 'echo "post-deploy $KAMAL_RUNTIME $KAMAL_LOCK" >> "$PWD/hooks.log"');
  v1 = project.release("v1 with assets and error pages");
});

afterAll(async () => {
  await bed?.stop();
});

describe("app boot details", () => {
  it("boots one host at a time with boot.limit, the app-boot hooks around each group", async () => {
    const result = await berth(project, ["setup"]);
    expect(result.code, result.output).toBe(0);
    const log = hookLog();
    expect(log.slice(0, 4)).toEqual([`pre-app-boot ${h1.ip}`, `post-app-boot ${h1.ip}`, `pre-app-boot ${h2.ip}`, `post-app-boot ${h2.ip}`]);
    expect(log[4]).toMatch(/^post-deploy \d+ false$/);
    for (const host of [h1, h2]) expect((await httpGet(host, "/version")).body).toBe(v1);
  });

  it("gives the proxy the version's error pages (shown in maintenance mode)", async () => {
    for (const host of [h1, h2]) {
      expect(await sh(host, `cat /root/.kamal/proxy/apps-config/app/error_pages/${v1}/503.html`)).toBe("<h1>Back soon: {{ .Message }}</h1>");
    }
    const maintenance = await berth(project, ["app", "maintenance", "--message", "upgrading"]);
    expect(maintenance.code, maintenance.output).toBe(0);
    expect(await httpGet(h1, "/version")).toEqual({ status: 503, body: "<h1>Back soon: upgrading</h1>" });
    const live = await berth(project, ["app", "live"]);
    expect(live.code, live.output).toBe(0);
    expect(await httpGet(h1, "/version")).toEqual({ status: 200, body: v1 });
  });

  it("bridges assets: the new version's volume also has the old version's files; old directories are cleaned up", async () => {
    writeFileSync(join(project.dir, "assets/app-v2.css"), "body { color: blue }\n");
    v2 = project.release("v2 with a new stylesheet");
    const result = await berth(project, ["deploy"]);
    expect(result.code, result.output).toBe(0);
    for (const host of [h1, h2]) {
      expect(await sh(host, `ls /root/.kamal/apps/app/assets/volumes/web-${v2}`)).toBe("app-v1.css\napp-v2.css");
      expect(await sh(host, "ls /root/.kamal/apps/app/assets/volumes")).toBe(`web-${v2}`);
      expect(await sh(host, `docker exec app-web-${v2} cat /app/assets/app-v1.css`)).toBe("body { color: red }");
      expect(await sh(host, "ls /root/.kamal/proxy/apps-config/app/error_pages")).toBe(v2);
    }
  });

  it("redeploys without booting the proxy or pruning; with BERTH_DOCKER_API=off, by docker commands only", async () => {
    v3 = project.release("v3");
    const result = await berth(project, ["redeploy", "-v"], { BERTH_DOCKER_API: "off" });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).not.toContain("Ensure kamal-proxy is running...");
    expect(result.stdout).not.toContain("docker image prune");
    // The state read and the stop as the docker commands Kamal runs, not Docker API requests.
    expect(result.stdout).toContain('docker inspect --format "{{if index . \\"State\\"}}container|');
    expect(result.stdout).toContain(`docker stop app-web-${v2}`);
    expect(result.stdout).not.toContain("Docker API");
    for (const host of [h1, h2]) {
      expect((await httpGet(host, "/version")).body).toBe(v3);
      expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${v2}`)).toBe("exited");
    }
  });

  it("prunes to retain_containers stopped containers, and removes the images no container uses", async () => {
    // Stopped so far: v1 (by the deploy of v2) and v2 (by the redeploy of v3, which doesn't prune).
    const v4 = project.release("v4");
    const result = await berth(project, ["deploy"]);
    expect(result.code, result.output).toBe(0);
    for (const host of [h1, h2]) {
      expect((await httpGet(host, "/version")).body).toBe(v4);
      const stopped = await sh(host, "docker ps -a --filter label=service=app --filter status=exited --format '{{.Names}}' | sort");
      expect(stopped).toBe([`app-web-${v2}`, `app-web-${v3}`].sort().join("\n"));
      const images = await sh(host, "docker image ls --filter label=service=app --format '{{.Tag}}' | sort");
      expect(images).toBe([v2, v3, v4, "latest"].sort().join("\n"));
    }
  });
});

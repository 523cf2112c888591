// Deploys that must fail cleanly on real servers: a held lock, a failing pre-deploy hook, an image
// without the service label, a new version that never becomes healthy, and an unreachable host.
// Each ends with a non-zero exit and a clear message, leaves no lock of its own behind, and the
// previous version keeps serving on every host.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, type Project } from "./support/project.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let v1: string;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "deploy-failures-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2] } });
  v1 = project.head();
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
});

afterAll(async () => {
  await bed?.stop();
});

afterEach(async () => {
  // Whatever a test did, the first version still serves everywhere and no lock is left.
  for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v1 });
  expect((await h1.exec("test -e /root/.kamal/lock-app")).code).not.toBe(0);
});

describe("failing deploys", () => {
  it("refuses to deploy while someone holds the lock, and leaves their lock alone", async () => {
    const acquired = await berth(project, ["lock", "acquire", "-m", "database maintenance"]);
    expect(acquired.code, acquired.output).toBe(0);
    project.release("v2");

    const deploy = await berth(project, ["deploy"]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain("Deploy lock found");
    expect(deploy.stdout).toContain("Deploy lock already in place!");
    expect(deploy.stdout).toContain("Message: database maintenance");

    const waiting = await berth(project, ["deploy", "--lock-wait", "--lock-wait-interval", "1"]);
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toMatch(/held manually by .*database maintenance/);

    const status = await berth(project, ["lock", "status"]);
    expect(status.stdout).toContain("Message: database maintenance");
    const released = await berth(project, ["lock", "release"]);
    expect(released.code, released.output).toBe(0);
    expect((await berth(project, ["lock", "status"])).stdout).toContain("There is no deploy lock");
  });

  it("stops at a failing pre-deploy hook and shows its output", async () => {
    project.writeHook("pre-deploy", 'echo "migrations are pending for $KAMAL_VERSION"; exit 3');
    try {
      const deploy = await berth(project, ["deploy"]);
      expect(deploy.code).toBe(1);
      expect(deploy.stderr).toContain("ERROR (Kamal::Cli::HookError): Hook `pre-deploy` failed:");
      expect(deploy.stderr).toContain(`migrations are pending for ${project.head()}`);
      expect(deploy.stdout).toContain("Releasing the deploy lock...");
      // Nothing of the new version was started.
      expect(await sh(h1, `docker ps -a --filter name=app-web-${project.head()} -q`)).toBe("");
    } finally {
      project.removeHook("pre-deploy");
    }
  });

  it("refuses an image without the service label", async () => {
    // Built and pushed by hand, without Berth (which always adds the label).
    const context = mkdtempSync(join(tmpdir(), "berth-e2e-nolabel-"));
    writeFileSync(join(context, "Dockerfile"), "FROM berth-test/busybox:1\nCMD [\"sleep\", \"3600\"]\n");
    const image = `${bed.registry}/berth-test/app:nolabel`;
    execFileSync("docker", ["build", "-q", "-t", image, context], { stdio: "ignore" });
    execFileSync("docker", ["push", "-q", image], { stdio: "ignore" });

    const deploy = await berth(project, ["deploy", "--skip-push", "--version", "nolabel"]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(`Image ${image} is missing the 'service' label`);
    expect(await sh(h1, "docker ps -a --filter name=app-web-nolabel -q")).toBe("");
  });

  it("reports a new version that never becomes healthy with its logs, stops it, and keeps the old one", async () => {
    const broken = project.release("broken", { broken: "no /up\n" });
    const deploy = await berth(project, ["deploy"]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/Exceptions on 2 hosts|Exception while executing on host/);
    expect(deploy.stdout).toContain(`Failed to boot web on ${h1.ip}`);
    expect(deploy.stdout).toContain(`Last 50 log lines of app-web-${broken} on ${h1.ip}`);
    for (const host of [h1, h2]) {
      expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${broken}`)).toBe("exited");
      expect(await sh(host, `docker inspect --format '{{.State.Status}}' app-web-${v1}`)).toBe("running");
    }
    project.release("fixed", { broken: null });
  });

  it("fails clearly when a host can't be reached, before anything changed", async () => {
    project.release("v5");
    await bed.setReachable(h2, false);
    try {
      const deploy = await berth(project, ["deploy"]);
      expect(deploy.code).toBe(1);
      expect(deploy.stderr).toContain(h2.ip);
      expect(deploy.stderr).toMatch(/timed out|Connection timed out|unreachable/i);
    } finally {
      await bed.setReachable(h2, true);
    }
  });
});

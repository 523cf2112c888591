// The proxy (re)starting with saved state, as after a host reboot or `docker restart kamal-proxy`,
// with app containers removed by hand meanwhile: its control socket answers at once (it used to
// stay closed while it health-checked the restored targets, up to 5 s, so a deploy in that window
// failed with "no kamal-proxy is running"), a deploy started right after succeeds and serves the
// new version, and lookups of the removed containers' names (slow to fail in Docker's DNS) do not
// slow the live app's traffic.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, type Project } from "./support/project.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let v1: string;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "proxy-restart-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2] } });
  v1 = project.head();
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
}, 1_200_000); // the test bed's lock may be held by another bed for up to 15 min

afterAll(async () => {
  await bed?.stop();
});

/** GET /version through h1's proxy with this Host header (fetch won't set one), on a new connection; status and milliseconds. */
function timedGet(host: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const request = http.get({ host: h1.ip, port: 80, path: "/version", headers: { Host: host }, agent: false, timeout: 8_000 }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0, ms: Date.now() - started }));
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve({ status: 0, ms: Date.now() - started }));
  });
}

describe("proxy restart with saved state", () => {
  it("answers at once after a restart whose saved targets are gone, and a deploy started right after serves the new version", async () => {
    // Three more services on h1's proxy, whose containers are then removed by hand: their names
    // stay in the proxy's saved state, and Docker's DNS takes seconds to fail lookups of them.
    const image = `${bed.registry}/berth-test/app:${v1}`;
    for (const name of ["gone-1", "gone-2", "gone-3"]) {
      await sh(h1, `docker run --detach --name ${name} --network kamal ${image} >/dev/null`);
      await sh(h1, `docker exec kamal-proxy kamal-proxy deploy ${name} --target=${name}:80 --host=${name}.test --health-check-timeout=2s --deploy-timeout=20s`);
    }
    await sh(h1, "docker rm --force gone-1 gone-2 gone-3 >/dev/null");
    // The app's own container on h1 is removed by hand too.
    await sh(h1, `docker rm --force app-web-${v1} >/dev/null`);

    const v2 = project.release("v2");
    const pushed = await berth(project, ["build", "push"]);
    expect(pushed.code, pushed.output).toBe(0);

    await sh(h1, "docker restart kamal-proxy >/dev/null");
    const restarted = Date.now();
    const list = await sh(h1, "docker exec kamal-proxy kamal-proxy list");
    const listMs = Date.now() - restarted;
    expect(list).toMatch(/gone-1[\s\S]*gone-2[\s\S]*gone-3/);
    expect(list).toContain("app-web");
    // The socket opens as the process starts, not after the restored targets' health checks.
    expect(listMs).toBeLessThan(3_000);

    const deploy = await berth(project, ["deploy", "-P"]);
    expect(deploy.code, deploy.output).toBe(0);
    for (const host of [h1, h2]) {
      expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v2 });
      expect((await httpGet(host, "/release")).body).toBe("v2");
    }

    // The app closes every connection (busybox httpd), so each request is a new upstream
    // connection and a name lookup, while the gone services' checks keep looking up dead names.
    const live = [];
    for (let i = 0; i < 10; i++) live.push(await timedGet("anything.test"));
    expect(live.map((result) => result.status)).toEqual(Array(10).fill(200));
    expect(Math.max(...live.map((result) => result.ms))).toBeLessThan(1_000);
    // A gone service answers 503: at the latest once the 5 s a restored service's requests wait
    // for a first passing check are over.
    const gone = await timedGet("gone-1.test");
    expect(gone.status).toBe(503);
    expect(gone.ms).toBeLessThan(6_000);
    const again503 = await timedGet("gone-2.test");
    expect(again503.status).toBe(503);
    expect(again503.ms).toBeLessThan(1_000);

    // A plain deploy converges both hosts again, and no lock is left.
    const again = await berth(project, ["deploy"]);
    expect(again.code, again.output).toBe(0);
    for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v2 });
    expect((await h1.exec("test -e /root/.kamal/lock-app")).code).not.toBe(0);
  });
});

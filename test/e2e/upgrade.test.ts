// `berth upgrade --rolling` (issue #14, item 4) on two servers in Kamal 1.9's layout (see
// support/kamal1.ts): Traefik on port 80, the web role on both hosts and a worker on host 2 on
// Docker's default bridge, an accessory on host 1, env files under .kamal/env, no `kamal`
// network. A request loop through both hosts (a load balancer in front of them: a refused
// connection goes to the other host) runs throughout: no request may fail, and every answer is
// the version that ran before. Afterwards the servers are in Kamal 2's layout with Berth's proxy,
// a second upgrade leaves them alone, and Kamal 2.12 deploys over them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BERTH_PROXY_TAG } from "../../src/config/index.js";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { baseEnv, kamalAsync } from "../support/kamal/kamal.js";
import { bootKamal1Accessory, bootKamal1Role, bootTraefik, pushTraefikStandIn, waitForTraefik } from "./support/kamal1.js";
import { SECRET, berth, createProject, httpGet, sh, type Project } from "./support/project.js";
import { startServingLoop, unexpected, type Answer } from "./support/serving-loop.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let v1: string;

const ACCESSORY = `accessories:
  store:
    image: BUSYBOX
    host: HOST
    cmd: sh -c 'trap "exit 0" TERM; while true; do sleep 1; done'
    env:
      clear:
        STORE_NAME: main
      secret:
        - SECRET_TOKEN
`;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "upgrade-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  const images = await ensureBaseImages({ push: true });
  const traefik = await pushTraefikStandIn(bed);
  project = createProject({ bed, roles: { web: [h1, h2], worker: [h2] }, extra: ACCESSORY.replace("BUSYBOX", images.busybox).replace("HOST", h1.ip) });
  v1 = project.head();
  // Kamal 1 deployed v1: the image is in the registry (built by Berth), the layout made by hand.
  const pushed = await berth(project, ["build", "push"]);
  if (pushed.code !== 0) throw new Error(`build push failed:\n${pushed.output}`);
  const image = `${bed.registry}/berth-test/app:${v1}`;
  const secrets = { SECRET_TOKEN: SECRET };
  await Promise.all(
    [h1, h2].map(async (host) => {
      await bootTraefik(host, traefik);
      await bootKamal1Role(host, { service: "app", role: "web", image, version: v1, secrets, clear: { APP_MODE: "e2e" }, traefik: true });
    }),
  );
  await bootKamal1Role(h2, { service: "app", role: "worker", image, version: v1, secrets, clear: { APP_MODE: "e2e", ROLE_NAME: "worker" }, traefik: false, cmd: "sh /app/worker.sh" });
  await bootKamal1Accessory(h1, { service: "app", name: "store", image: images.busybox, cmd: `sh -c 'trap "exit 0" TERM; while true; do sleep 1; done'`, secrets, clear: { STORE_NAME: "main" } });
  await Promise.all([waitForTraefik(h1, "/version", v1), waitForTraefik(h2, "/version", v1)]);
});

afterAll(async () => {
  await bed?.stop();
});

async function networks(host: TestHost, container: string): Promise<string> {
  return sh(host, `docker inspect -f '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}' ${container}`);
}

/** The longest stretch in which a host refused connections (the loop went to the other host), in ms. */
function longestOutage(answers: readonly Answer[], server: string): number {
  let longest = 0;
  let start: number | undefined;
  let last = 0;
  for (const answer of answers) {
    const refused = answer.failedOver.includes(server);
    if (refused) {
      start ??= last;
      longest = Math.max(longest, answer.at - start);
    } else if (answer.server === server) {
      start = undefined;
    }
    last = answer.at;
  }
  return longest;
}

describe("berth upgrade from Kamal 1", () => {
  it("the servers start in Kamal 1's layout, served by Traefik", async () => {
    for (const host of [h1, h2]) {
      expect(await sh(host, "docker inspect -f '{{.State.Running}}' traefik")).toBe("true");
      expect(await networks(host, `app-web-${v1}`)).toBe("bridge");
      expect(await sh(host, "docker network ls --filter name=^kamal$ -q")).toBe("");
      expect(await sh(host, "stat -c %a /root/.kamal/env/roles/app-web.env")).toBe("600");
    }
  });

  it("--rolling moves host by host to kamal-proxy and the kamal network; no request fails", async () => {
    const loop = startServingLoop({ servers: [h1.ip, h2.ip], path: "/version", maxRequests: 20_000, maxDurationMs: 240_000 });
    let result;
    let answers: Answer[] = [];
    const started = Date.now();
    try {
      result = await berth(project, ["upgrade", "--rolling", "-y"]);
    } finally {
      answers = await loop.stop();
    }
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Upgrading ${h1.ip}...`);
    expect(result.stdout).toContain(`Upgraded ${h2.ip}`);
    expect(answers.length).toBeGreaterThan(50);
    expect(unexpected(answers, [v1])).toEqual([]);
    const outages = [h1, h2].map((host) => `${host.ip}: ${longestOutage(answers, host.ip)} ms`);
    const failed = answers.filter((answer) => answer.status !== 200).length;
    console.log(`berth upgrade --rolling: ${(Date.now() - started) / 1000} s, ${answers.length} requests, ${failed} failed, longest time each host refused connections: ${outages.join(", ")}`);
    // One host at a time: while one switched, the other answered.
    expect(answers.filter((answer) => answer.failedOver.length > 0 && answer.status !== 200)).toEqual([]);

    for (const host of [h1, h2]) {
      expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v1 });
      // Traefik is gone (container and image); Berth's proxy serves, on the kamal network.
      expect(await sh(host, "docker ps -a --filter name=^traefik$ -q")).toBe("");
      expect(await sh(host, "docker images --filter label=org.opencontainers.image.title=Traefik -q")).toBe("");
      expect(await sh(host, "docker inspect kamal-proxy --format '{{.Config.Image}}'")).toBe(`${bed.registry}/berth-test/berth-proxy:${BERTH_PROXY_TAG}`);
      expect(await networks(host, "kamal-proxy")).toBe("kamal");
      // The same version, in a new container on the kamal network; Kamal 1's is stopped, renamed aside.
      expect(await networks(host, `app-web-${v1}`)).toBe("kamal");
      expect(await sh(host, `docker exec app-web-${v1} sh -c 'echo $KAMAL_VERSION $SECRET_TOKEN'`)).toBe(`${v1} ${SECRET}`);
      expect(await sh(host, "docker ps -a --filter label=role=web --filter status=exited --format '{{.Names}}'")).toMatch(new RegExp(`^app-web-${v1}_replaced_[0-9a-f]{16}$`));
      expect(await sh(host, "stat -c %a /root/.kamal/apps/app/env/roles/web.env")).toBe("600");
    }
    expect(await networks(h2, `app-worker-${v1}`)).toBe("kamal");
    expect(await sh(h2, `docker inspect -f '{{.State.Running}}' app-worker-${v1}`)).toBe("true");
    // The accessory was rebooted into the kamal network, with its env file in Kamal 2's place.
    expect(await networks(h1, "app-store")).toBe("kamal");
    expect(await sh(h1, "docker exec app-store sh -c 'echo $STORE_NAME $SECRET_TOKEN'")).toBe(`main ${SECRET}`);
    expect(await sh(h1, "stat -c %a /root/.kamal/apps/app/env/accessories/store.env")).toBe("600");
    expect(await sh(h1, "cat /root/.kamal/app-audit.log")).toContain("Rebooted proxy");
  });

  it("a second upgrade leaves upgraded hosts alone", async () => {
    const proxies = await Promise.all([h1, h2].map((host) => sh(host, "docker inspect -f '{{.Id}}' kamal-proxy")));
    const web = await Promise.all([h1, h2].map((host) => sh(host, `docker inspect -f '{{.Id}}' app-web-${v1}`)));
    const result = await berth(project, ["proxy", "upgrade", "-y"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`kamal-proxy already runs on ${h1.ip} and Traefik doesn't: nothing to upgrade there`);
    expect(await Promise.all([h1, h2].map((host) => sh(host, "docker inspect -f '{{.Id}}' kamal-proxy")))).toEqual(proxies);
    expect(await Promise.all([h1, h2].map((host) => sh(host, `docker inspect -f '{{.Id}}' app-web-${v1}`)))).toEqual(web);
  });

  it("Kamal 2.12 deploys over the upgraded servers with no failed request", async () => {
    const v2 = project.release("v2");
    const loop = startServingLoop({ servers: [h1.ip, h2.ip], path: "/version", maxRequests: 20_000, maxDurationMs: 240_000 });
    let answers: Answer[] = [];
    try {
      const result = await kamalAsync(["deploy"], { cwd: project.dir, env: baseEnv({ DOCKER_CONFIG: project.dockerConfig }), timeoutMs: 180_000 });
      expect(result.status, result.stdout + result.stderr).toBe(0);
    } finally {
      answers = await loop.stop();
    }
    expect(unexpected(answers, [v1, v2])).toEqual([]);
    expect(answers.filter((answer) => answer.failedOver.length > 0)).toEqual([]);
    for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: v2 });
    expect(await sh(h2, `docker inspect -f '{{.State.Running}}' app-worker-${v2}`)).toBe("true");
  });
});

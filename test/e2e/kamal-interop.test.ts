// Kamal 2.12 and Berth take turns on the same servers with the same files (issue #14, 1b): one
// sets up, the other deploys, the first rolls back; then the other way round. Kamal drives
// Berth's proxy image through `proxy.run`. A bounded request loop through both hosts' proxies
// runs through every deploy and rollback: no request may fail, and every answer is a version
// that is live at that point. The servers stay interchangeable: each tool reads what the other
// left (containers, labels, env files, the proxy and its routes, the `latest` tag, the lock).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BERTH_PROXY_TAG } from "../../src/config/index.js";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { baseEnv, kamalAsync, type RunResult } from "../support/kamal/kamal.js";
import { SECRET, berth, createProject, httpGet, sh, type Project } from "./support/project.js";
import { startServingLoop, unexpected, type ServingLoop } from "./support/serving-loop.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "kamal-interop-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  // Kamal boots the Berth proxy image from the app's registry through proxy.run; Berth sees that
  // the image named is its own, and pushes it there when it is missing.
  const proxyRun = `  run:\n    registry: ${bed.registry}\n    repository: berth-test/berth-proxy\n    version: ${BERTH_PROXY_TAG}\n`;
  project = createProject({ bed, roles: { web: [h1, h2] } });
  const path = join(project.dir, "config/deploy.yml");
  writeFileSync(path, readFileSync(path, "utf8").replace("  healthcheck:\n", `${proxyRun}  healthcheck:\n`));
  project.release("v1");
});

afterAll(async () => {
  await bed?.stop();
});

/** Real Kamal in the project, with its own Docker client config (registry login). */
async function kamal(args: readonly string[]): Promise<RunResult> {
  return kamalAsync(args, { cwd: project.dir, env: baseEnv({ DOCKER_CONFIG: project.dockerConfig }), timeoutMs: 240_000 });
}

async function expectServing(version: string, release: string): Promise<void> {
  for (const host of [h1, h2]) {
    expect(await httpGet(host, "/version"), host.ip).toEqual({ status: 200, body: version });
    expect((await httpGet(host, "/release")).body).toBe(release);
  }
}

async function runningWeb(host: TestHost): Promise<string[]> {
  const names = await sh(host, "docker ps --filter label=service=app --filter label=role=web --format '{{.Names}}'");
  return names.split("\n").filter((name) => name !== "").sort();
}

/** The loop through both proxies while `work` runs; every answer must be a 200 from one of `versions`. */
async function underLoad(step: string, versions: readonly string[], work: () => Promise<void>): Promise<void> {
  const loop: ServingLoop = startServingLoop({ servers: [h1.ip, h2.ip], path: "/version", maxRequests: 20_000, maxDurationMs: 280_000 });
  let answers;
  try {
    await work();
  } finally {
    answers = await loop.stop();
  }
  const failed = answers.filter((answer) => answer.status !== 200 || answer.failedOver.length > 0).length;
  console.log(`${step}: ${answers.length} requests, ${failed} failed or refused`);
  expect(answers.length).toBeGreaterThan(20);
  // The loop spanned the switch: both versions answered.
  expect(new Set(answers.map((answer) => answer.body))).toEqual(new Set(versions));
  expect(unexpected(answers, versions)).toEqual([]);
  expect(answers.filter((answer) => answer.failedOver.length > 0)).toEqual([]);
}

// Berth's classic build labels the image with its commit (README: a later deploy reuses it only
// for that commit); Kamal's doesn't. The container inherits the image's labels.
const REVISION_LABEL = "org.opencontainers.image.revision";

function withoutRevision(labels: unknown): Record<string, string> {
  const { [REVISION_LABEL]: _revision, ...rest } = (labels ?? {}) as Record<string, string>;
  return rest;
}

/** A container's settings as Docker reports them, with its version, hostname and id left out. */
async function containerShape(host: TestHost, version: string): Promise<unknown> {
  const text = await sh(host, `docker inspect --format '{{json .Config}},{{json .HostConfig}},{{json .NetworkSettings.Networks}}' app-web-${version}`);
  const [config, hostConfig, networks] = JSON.parse(`[${text.replaceAll(version, "VERSION")}]`) as [Record<string, unknown>, Record<string, unknown>, Record<string, Record<string, unknown>>];
  // Empty lists and maps come back as null or [] depending on who created the container.
  const empty = (value: unknown): unknown =>
    (Array.isArray(value) && value.length === 0) || (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) ? null : value;
  // The container id and the hostname's random part differ from run to run.
  const random = (name: string): string => name.replace(/^[0-9a-f]{12}$/, "ID").replace(/-[0-9a-f]{12}$/, "-HEX");
  const tidy = (record: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(record).map(([key, value]) => [key, empty(value)]));
  return {
    config: { ...tidy(config), Hostname: random(String(config.Hostname)), Env: [...(config.Env as string[])].sort(), Labels: withoutRevision(config.Labels) },
    hostConfig: tidy(hostConfig),
    networks: Object.fromEntries(Object.entries(networks).map(([name, network]) => [name, { Aliases: ((network.Aliases ?? []) as string[]).map(random), DriverOpts: network.DriverOpts, IPAMConfig: network.IPAMConfig }])),
  };
}

function ok(result: RunResult | { code: number; output: string }, what: string): void {
  const code = "status" in result ? result.status : result.code;
  const output = "status" in result ? result.stdout + result.stderr : result.output;
  expect(code, `${what}:\n${output}`).toBe(0);
}

describe("Kamal and Berth in turn on the same servers", () => {
  let v1: string;
  let v2: string;

  it("berth setup, kamal deploy, berth rollback: every version served, no request failed", async () => {
    v1 = project.head();
    ok(await berth(project, ["setup"]), "berth setup");
    await expectServing(v1, "v1");
    for (const host of [h1, h2]) {
      expect(await sh(host, "docker inspect kamal-proxy --format '{{.Config.Image}}'")).toBe(`${bed.registry}/berth-test/berth-proxy:${BERTH_PROXY_TAG}`);
    }

    v2 = project.release("v2");
    await underLoad("kamal deploy", [v1, v2], async () => ok(await kamal(["deploy"]), "kamal deploy"));
    await expectServing(v2, "v2");
    for (const host of [h1, h2]) {
      expect(await runningWeb(host)).toEqual([`app-web-${v2}`]);
      // Kamal wrote the same env file, where Berth reads it, 0600.
      expect(await sh(host, "stat -c %a /root/.kamal/apps/app/env/roles/web.env")).toBe("600");
      expect(await sh(host, `docker exec app-web-${v2} sh -c 'echo $SECRET_TOKEN'`)).toBe(SECRET);
    }

    await underLoad("berth rollback", [v1, v2], async () => ok(await berth(project, ["rollback", v1]), "berth rollback"));
    await expectServing(v1, "v1");
    for (const host of [h1, h2]) expect(await runningWeb(host)).toEqual([`app-web-${v1}`]);
  });

  it("kamal remove clears what Berth and Kamal deployed", async () => {
    ok(await kamal(["remove", "-y"]), "kamal remove");
    for (const host of [h1, h2]) {
      expect(await sh(host, "docker ps -aq")).toBe("");
      expect((await host.exec("test -e /root/.kamal/apps/app")).code).not.toBe(0);
    }
  });

  it("kamal setup (Berth's proxy through proxy.run), berth deploy, kamal rollback: every version served, no request failed", async () => {
    ok(await kamal(["setup"]), "kamal setup");
    await expectServing(v2, "v2");
    for (const host of [h1, h2]) {
      expect(await sh(host, "docker inspect kamal-proxy --format '{{.Config.Image}}'")).toBe(`${bed.registry}/berth-test/berth-proxy:${BERTH_PROXY_TAG}`);
    }

    const v3 = project.release("v3");
    await underLoad("berth deploy", [v2, v3], async () => ok(await berth(project, ["deploy"]), "berth deploy"));
    await expectServing(v3, "v3");
    // The container Berth made is the one Kamal makes, but for the version (and the revision label).
    for (const host of [h1, h2]) {
      expect(await containerShape(host, v3)).toEqual(await containerShape(host, v2));
      expect(await sh(host, `docker inspect -f '{{index .Config.Labels "${REVISION_LABEL}"}}' app-web-${v3}`)).toBe(v3);
    }

    await underLoad("kamal rollback", [v2, v3], async () => ok(await kamal(["rollback", v2]), "kamal rollback"));
    await expectServing(v2, "v2");
    for (const host of [h1, h2]) expect(await runningWeb(host)).toEqual([`app-web-${v2}`]);

    // And Berth deploys again over Kamal's rollback.
    await underLoad("berth deploy after kamal rollback", [v2, v3], async () => ok(await berth(project, ["deploy"]), "berth deploy after kamal rollback"));
    await expectServing(v3, "v3");
  });
});

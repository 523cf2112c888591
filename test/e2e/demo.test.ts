// `berth demo` end to end, run as a newcomer runs it: from the npm package installed globally, as
// its own process with no terminal. It must set up and deploy the example app with no failed
// request, leave everything running after it exits, reuse it on a second run, give way to a test
// bed (saying so), and `--down` must leave nothing behind.
//
// The file holds the machine's test-bed lock throughout and lends it to the demo's processes
// (BERTH_TESTBED_LOCK_HOLDER), so no other bed can take the demo's servers between two runs.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LOCK_FILE,
  LOCK_HOLDER_ENV,
  TESTBED_ROOT,
  acquireMachineLock,
  ensureLocalDocker,
  readKeptBed,
  startTestbed,
  type KeptBedRecord,
  type MachineLock,
} from "../../testbed/index.js";
import { BERTH_PROXY_TAG } from "../../src/config/proxy-defaults.js";
import { isAlive } from "../../testbed/cleanup.js";
import { execInHost } from "../../testbed/host.js";
import { packAndInstall, type InstalledPackage } from "../support/package.js";

const run = promisify(execFile);
const DEMO_DIR = join(TESTBED_ROOT, "demo");
const PROJECT = join(DEMO_DIR, "hello");

let scratch: string;
let installed: InstalledPackage;
let lock: MachineLock;

interface DemoRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

function berth(args: readonly string[], cwd = scratch): Promise<DemoRun> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(installed.berth, args, {
      cwd,
      env: { ...process.env, [LOCK_HOLDER_ENV]: String(process.pid), CI: "true", VERSION: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), 8 * 60_000);
    child.on("error", reject);
    // "close", not "exit": the output is complete, and no daemon the demo left kept its pipes open.
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), seconds: (performance.now() - startedAt) / 1000 });
    });
  });
}

/** The summary's row `label` (its text after the label). */
function row(stdout: string, label: string): string {
  const match = new RegExp(`^ {2}${label} +(.*)$`, "m").exec(stdout);
  if (!match) throw new Error(`no "${label}" row in:\n${stdout}`);
  return match[1]!;
}

async function sh(record: KeptBedRecord, index: number, command: string): Promise<string> {
  const result = await execInHost(record.hosts[index]!.initPid, command);
  if (result.code !== 0) throw new Error(`${command}: ${result.stderr}`);
  return result.stdout.trim();
}

async function page(url: string): Promise<string> {
  return (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
}

async function nothingLeft(pids: readonly number[]): Promise<void> {
  expect((await run("ip", ["netns", "list"])).stdout).not.toMatch(/^berth-h\d+/m);
  expect((await run("ip", ["-o", "link", "show"])).stdout).not.toMatch(/berthbr0|berth-h\d+/);
  expect((await run("iptables", ["-S", "FORWARD"])).stdout).not.toContain("berth-testbed");
  expect(readdirSync(TESTBED_ROOT).filter((entry) => !entry.startsWith("."))).toEqual([]);
  expect(pids.filter(isAlive)).toEqual([]);
  expect((await run("docker", ["images", "--format", "{{.Repository}}"])).stdout).not.toContain("10.210.0.1:5555/berth-demo/");
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "berth-demo-e2e-"));
  installed = packAndInstall(scratch);
  await ensureLocalDocker();
  lock = await acquireMachineLock(LOCK_FILE, 15 * 60_000, "demo e2e");
  // This process holds the lock: a bed it starts itself must not wait for it either.
  process.env[LOCK_HOLDER_ENV] = String(process.pid);
}, 16 * 60_000); // the lock may take its full 15 minutes on a machine other people test on

afterAll(async () => {
  if (readKeptBed(DEMO_DIR) !== undefined) await berth(["demo", "--down"]);
  delete process.env[LOCK_HOLDER_ENV];
  await lock?.release();
  rmSync(scratch, { recursive: true, force: true });
});

describe("berth demo", () => {
  let firstAfter: string;

  it("sets up the example app and deploys a second version with no failed request, and leaves it running", async () => {
    const result = await berth(["demo"]);
    console.log(`berth demo (first run): ${result.seconds.toFixed(1)} s`);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("The demo app is deployed: no request failed during the deploy.");
    expect(row(result.stdout, "servers")).toBe("10.210.0.11 (web, redis), 10.210.0.12 (web, worker)");
    const [, sent, failed] = /^(\d+) sent during the deploy, (\d+) failed/.exec(row(result.stdout, "requests"))!;
    expect(Number(failed)).toBe(0);
    expect(Number(sent)).toBeGreaterThan(50);
    const before = /^([0-9a-f]{12}) on every server \(release 1\)$/.exec(row(result.stdout, "before"))![1]!;
    firstAfter = /^([0-9a-f]{12}) on every server \(release 2\)$/.exec(row(result.stdout, "after"))![1]!;
    expect(firstAfter).not.toBe(before);
    expect(result.stdout).toMatch(/^ +servers +\d+\.\d+s {2}started$/m);
    expect(result.stdout).toMatch(/^ +setup +\d+\.\d+s$/m);

    // The printed curl command answers, with the new version's page.
    const curl = row(result.stdout, "try it");
    expect(curl).toBe("curl http://10.210.0.11/");
    const { stdout: served } = await run("sh", ["-c", curl]);
    expect(served).toContain("Hello from Berth: release 2");
    expect(served).toContain(firstAfter);
    expect(served).toMatch(/Page views: \d+\./); // the web role reaches the Redis accessory

    // The demo process has exited; its servers still run and serve, from both hosts.
    const record = readKeptBed(DEMO_DIR)!;
    expect(record.hosts.every((host) => isAlive(host.initPid)) && isAlive(record.registryPid)).toBe(true);
    for (const ip of ["10.210.0.11", "10.210.0.12"]) expect((await page(`http://${ip}/version`)).startsWith(firstAfter)).toBe(true);
    expect(await sh(record, 0, "docker ps --format '{{.Names}}' --filter name=hello-redis")).toBe("hello-redis");
    // The second server's web role reaches Redis on the first, and the worker takes the jobs it queues.
    let jobsDone = 0;
    for (let attempt = 0; attempt < 20 && jobsDone === 0; attempt++) {
      const text = await page("http://10.210.0.12/");
      expect(text).toMatch(/Page views: \d+\./);
      jobsDone = Number(/Jobs done by the worker: (\d+)/.exec(text)?.[1] ?? 0);
      if (jobsDone === 0) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(jobsDone).toBeGreaterThan(0);
    expect(await sh(record, 1, "docker ps --format '{{.Names}}' --filter label=role=worker")).toMatch(new RegExp(`^hello-worker-${firstAfter}`));
    // The proxy image was built from the installed package and pushed beside the app's.
    expect(await sh(record, 0, "docker inspect kamal-proxy --format '{{.Config.Image}}'")).toBe(`10.210.0.1:5555/berth-demo/berth-proxy:${BERTH_PROXY_TAG}`);

    // And the user can go on from the app's directory.
    const version = await berth(["app", "version"], PROJECT);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toContain(firstAfter);
  });

  it("reuses what is there on a second run and deploys one more version", async () => {
    const result = await berth(["demo"]);
    console.log(`berth demo (second run): ${result.seconds.toFixed(1)} s`);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/servers +\d+\.\d+s {2}reused/);
    expect(result.stdout).toMatch(/setup +0\.0s {2}skipped: already set up/);
    expect(row(result.stdout, "before")).toBe(`${firstAfter} on every server (release 2)`);
    expect(row(result.stdout, "after")).toMatch(/^[0-9a-f]{12} on every server \(release 3\)$/);
    expect(row(result.stdout, "requests")).toMatch(/^\d+ sent during the deploy, 0 failed/);
  });

  it("--down removes everything the demo started", async () => {
    const record = readKeptBed(DEMO_DIR)!;
    const result = await berth(["demo", "--down"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("Removed:");
    await nothingLeft([...record.hosts.map((host) => host.initPid), record.registryPid]);
    expect((await berth(["demo", "--down"])).stdout).toContain("Nothing to remove: no demo is running.");
  });

  it("gives way to a test bed, which says it removes the demo's servers", async () => {
    const result = await berth(["demo"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/servers +\d+\.\d+s {2}started/);
    const record = readKeptBed(DEMO_DIR)!;
    const notices: string[] = [];
    const bed = await startTestbed({ hosts: 1, name: "demo-e2e-other", notice: (text) => notices.push(text) });
    try {
      expect(notices).toEqual([expect.stringContaining("removing the servers berth demo left running")]);
      expect(record.hosts.some((host) => isAlive(host.initPid))).toBe(false);
      expect(existsSync(DEMO_DIR)).toBe(false);
      expect((await bed.hosts[0]!.exec("docker info --format '{{.ServerVersion}}'")).code).toBe(0);
    } finally {
      await bed.stop();
    }
    // Its images in the local Docker are still the demo's to remove.
    const down = await berth(["demo", "--down"]);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain("local image tags under 10.210.0.1:5555/berth-demo/");
    await nothingLeft([record.registryPid]);
  });
});

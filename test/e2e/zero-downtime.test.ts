// Zero downtime, measured: a request loop through the proxies of two servers (as a load balancer
// in front of them sends it) for the whole of 10 consecutive deploys alternating two versions, a
// rollback, `app maintenance` and `app live`, and a rolling proxy reboot. No request may fail, and
// each answer must come from a version live on its server while the request was open: the old
// one until that host's switch ended, the new one from its start. Maintenance pages (503) are
// expected only while in maintenance. The figures per phase are printed.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { MAINTENANCE, figuresByPhase, formatFigures, liveIntervals, violations, type Classifier, type Phase, type Transition } from "./support/liveness.js";
import { berth, createProject, httpGet, type Project } from "./support/project.js";
import { now, startRequestLoop } from "./support/request-loop.js";
import { commandWindows, timedBerth, type TimedResult } from "./support/timed-berth.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let a: string;
let b: string;

const MESSAGE = "Back in a moment";
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const checkout = (version: string): void => void execFileSync("git", ["checkout", "-q", version], { cwd: project.dir });

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "zero-downtime-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2] } });
  a = project.head();
  b = project.release("B");
  // Both versions built and on both hosts before the measured part: B is live, A stopped.
  checkout(a);
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
  checkout(b);
  const deploy = await berth(project, ["deploy"]);
  if (deploy.code !== 0) throw new Error(`deploy failed:\n${deploy.output}`);
});

afterAll(async () => {
  await bed?.stop();
});

describe("zero downtime", () => {
  it("answers every request through 10 deploys, a rollback, maintenance/live and a rolling proxy reboot, each from a live version", async () => {
    const servers = [h1.ip, h2.ip];
    for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: b });
    const live = new Map(servers.map((server) => [server, b]));
    const initial = new Map(live);
    const transitions: Transition[] = [];
    const phases: Phase[] = [];

    /** Runs a command while the loop runs; `to` says what each server serves after it, the pattern which remote command switches it. */
    const outputs: { name: string; result: TimedResult }[] = [];
    const step = async (name: string, args: string[], to: string | undefined, switching?: RegExp): Promise<void> => {
      const result = await timedBerth(project, args);
      outputs.push({ name, result });
      expect(result.code, `${name}:\n${result.output}`).toBe(0);
      phases.push({ name, start: result.startedAt, end: result.endedAt });
      const windows = switching === undefined ? new Map() : commandWindows(result, switching);
      for (const server of servers) {
        if (to === undefined || to === live.get(server)) continue;
        // The switch happened while the host's switching command ran; the whole command if it isn't found.
        const window = windows.get(server) ?? { start: result.startedAt, end: result.endedAt };
        transitions.push({ server, from: live.get(server)!, to, ...window });
        live.set(server, to);
      }
    };

    const hold = async (name: string, ms: number): Promise<void> => {
      const start = now();
      await sleep(ms);
      phases.push({ name, start, end: now() });
    };

    // The proxy reboot's hooks take each host out of the load balancer's rotation while its proxy
    // restarts (what Kamal's pre/post-proxy-reboot hooks are for): a restarting proxy has no port
    // open, and connections waiting to be accepted when it stops are reset.
    const drainFile = join(project.dir, "drained");
    writeFileSync(drainFile, "");
    project.writeHook("pre-proxy-reboot", `echo "$KAMAL_HOSTS" | tr , '\\n' > "${drainFile}"`);
    project.writeHook("post-proxy-reboot", `: > "${drainFile}"`);
    const drained = (): ReadonlySet<string> => new Set(readFileSync(drainFile, "utf8").split("\n").filter(Boolean));
    const loop = startRequestLoop({ servers, path: "/version", concurrency: 2, pauseMs: 5, maxRequests: 100_000, maxDurationMs: 240_000, drained });
    const started = now();
    await hold("steady before", 1000);
    for (let index = 1; index <= 10; index++) {
      const version = index % 2 === 1 ? a : b;
      checkout(version);
      await step(`deploy ${index} (${version.slice(0, 7)})`, ["deploy"], version, /kamal-proxy deploy/);
    }
    await step(`rollback (${a.slice(0, 7)})`, ["rollback", a], a, /kamal-proxy deploy/);
    await hold("steady after rollback", 500);
    await step("app maintenance", ["app", "maintenance", "--message", MESSAGE], MAINTENANCE, /kamal-proxy stop/);
    await hold("in maintenance", 1000);
    await step("app live", ["app", "live"], a, /kamal-proxy resume/);
    await hold("steady after live", 500);
    await step("proxy reboot --rolling", ["proxy", "reboot", "--rolling", "-y", "-v"], undefined);
    await hold("steady after reboot", 1000);
    const requests = await loop.stop();
    const elapsed = now() - started;

    const classify: Classifier = (request) => {
      if (request.status === 200 && (request.body === a || request.body === b)) return request.body;
      if (request.status === 503 && request.body?.includes(MESSAGE)) return MAINTENANCE;
      return undefined;
    };
    const bad = violations(requests, liveIntervals(initial, transitions), classify);
    const figures = figuresByPhase(requests, phases, classify, new Set(bad.map((violation) => violation.request.seq)));
    const short = (state: string): string => (state === MAINTENANCE ? state : state.slice(0, 7));
    console.log(`zero downtime: ${requests.length} requests in ${Math.round(elapsed)} ms through ${servers.join(" and ")}\n${formatFigures(figures, short)}`);

    const shown = bad.slice(0, 10).map(({ request, why }) => `#${request.seq} ${request.servers.join("→")} at +${Math.round(request.startedAt - started)} ms: ${why}`);
    // What the command ran around each failure, to tell which step it coincided with.
    for (const { request } of bad.slice(0, 3)) {
      const around = outputs.flatMap(({ name, result }) => result.lines.filter((line) => Math.abs(line.at - request.startedAt) < 1500).map((line) => `  +${Math.round(line.at - started)} ms [${name}] ${line.text.trim()}`));
      console.log(`around #${request.seq} (+${Math.round(request.startedAt - started)}..+${Math.round(request.endedAt - started)} ms):\n${around.join("\n")}`);
    }
    expect(shown, `${bad.length} of ${requests.length} requests failed or answered from a version not live then`).toEqual([]);
    // The loop kept going through every phase, and saw the maintenance page and both versions.
    for (const phase of figures.filter((row) => row.phase !== "(between)")) expect(phase.sent, phase.phase).toBeGreaterThan(10);
    expect(figures.find((row) => row.phase === "in maintenance")).toMatchObject({ failed: 0, answers: { [MAINTENANCE]: expect.any(Number) } });
    const answered = (state: string): number => figures.reduce((sum, row) => sum + (row.answers[state] ?? 0), 0);
    expect(answered(a)).toBeGreaterThan(100);
    expect(answered(b)).toBeGreaterThan(100);
    expect(answered(MAINTENANCE)).toBeGreaterThan(10);
    for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: a });
  });
});

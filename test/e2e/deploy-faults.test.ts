// Faults of the berth process, its SSH links and the lock, on real servers: berth killed
// (SIGKILL, SIGTERM, SIGINT) at each phase of a deploy, a host's network cut before and during a
// deploy, two deploys at once, a changed host key, an explicit VERSION over new commits, a deploy
// during maintenance. After each: no host runs two versions of a role, one version serves
// everywhere (the old one unless every host had switched), the lock is released or named with
// the command that clears it, and the next plain `berth deploy` converges every host.
// One test bed for all; berth runs as the bundled executable where it must be signalled or
// raced (`npm run build` first), in-process otherwise.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, type Project } from "./support/project.js";

const BUNDLE = join(import.meta.dirname, "../../dist/bundle/berth.js");
const LOCK_HOST_LOCK = "/root/.kamal/lock-app";

// The app, with switches a test commits as files: slow-build (the build sleeps), slow-up (/up
// appears after N s: the proxy's switch waits), slow-stop (a stop takes N s).
const START = `#!/bin/sh
mkdir -p /www
echo "$KAMAL_VERSION" > /www/version
cp /app/release.txt /www/release
trap '[ -f /app/slow-stop ] && sleep "$(cat /app/slow-stop)"; exit 0' TERM INT
httpd -f -p 80 -h /www &
[ -f /app/slow-up ] && sleep "$(cat /app/slow-up)"
echo ok > /www/up
wait
`;
const WORKER = `#!/bin/sh
trap '[ -f /app/slow-stop ] && sleep "$(cat /app/slow-stop)"; exit 0' TERM INT
while true; do sleep 1; done &
wait
`;
const DOCKERFILE = `FROM berth-test/busybox:1
COPY . /app/
RUN [ ! -f /app/slow-build ] || sleep "$(cat /app/slow-build)"
CMD ["sh", "/app/start.sh"]
`;

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
/** Fault → what happened, for the figures. */
const figures: string[] = [];

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "deploy-faults-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2], workers: [h1, h2] } });
  // ssh.config as a path relative to the project, as Kamal resolves it (the bed's own file, copied).
  copyFileSync(bed.sshConfigPath, join(project.dir, "ssh_config"));
  const yml = readFileSync(join(project.dir, "config/deploy.yml"), "utf8").replace(`config: ${bed.sshConfigPath}`, "config: ssh_config");
  project.release("v1", { "config/deploy.yml": yml, "start.sh": START, "worker.sh": WORKER, Dockerfile: DOCKERFILE });
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
});

afterAll(async () => {
  if (figures.length > 0) console.log(`deploy faults (fault | exit | time | outcome):\n${figures.join("\n")}`);
  await bed?.stop();
});

// berth as a process --------------------------------------------------------------------------

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly seconds: number;
}

interface Running {
  readonly child: ChildProcess;
  readonly started: number;
  output(): string;
  readonly finished: Promise<Finished>;
}

function envFor(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, BERTH_PROXY_BASE_IMAGE: "berth-test/node:20", DOCKER_CONFIG: project.dockerConfig, CI: "true", VERSION: "", ...extra };
}

/** The bundled berth in the project, in its own process group (as a shell starts a job). */
function start(args: readonly string[]): Running {
  const started = performance.now();
  const child = spawn(process.execPath, [BUNDLE, ...args], { cwd: project.dir, env: envFor(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const finished = new Promise<Finished>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, output, seconds: (performance.now() - started) / 1000 })),
  );
  return { child, started, output: () => output, finished };
}

async function waitForOutput(running: Running, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pattern.test(running.output())) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) throw new Error(`berth ended before ${pattern}:\n${running.output()}`);
    if (performance.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${running.output()}`);
    await sleep(20);
  }
}

/** Sends a signal as a terminal would: Ctrl-C to the whole foreground group, kill(1) to the process. */
function signal(running: Running, name: NodeJS.Signals): void {
  if (name === "SIGINT") process.kill(-running.child.pid!, "SIGINT");
  else running.child.kill(name);
}

async function bounded(running: Running, ms = 90_000): Promise<Finished> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      running.child.kill("SIGKILL");
      reject(new Error(`berth did not end within ${ms} ms:\n${running.output()}`));
    }, ms);
  });
  try {
    return await Promise.race([running.finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// What the servers run ------------------------------------------------------------------------

/** role → versions of its running containers on the host. */
async function runningVersions(host: TestHost): Promise<Map<string, string[]>> {
  const lines = await sh(host, `docker ps --filter label=service=app --format '{{.Label "role"}} {{.Names}}'`);
  const roles = new Map<string, string[]>();
  for (const line of lines.split("\n").filter(Boolean)) {
    const [role = "", name = ""] = line.split(" ");
    roles.set(role, [...(roles.get(role) ?? []), name.slice(`app-${role}-`.length)]);
  }
  return roles;
}

/**
 * Every host runs one container per role, all of one version, which its proxy serves: returns
 * that version. (No host is left running two versions of a role.)
 */
async function oneVersionEverywhere(): Promise<string> {
  const versions = new Set<string>();
  for (const host of [h1, h2]) {
    const roles = await runningVersions(host);
    expect([...roles.keys()].sort(), `roles on ${host.name}`).toEqual(["web", "workers"]);
    for (const [role, running] of roles) {
      expect(running, `${role} on ${host.name}`).toHaveLength(1);
      versions.add(running[0]!.replace(/_replaced_[0-9a-f]{16}$/, ""));
    }
    versions.add((await httpGet(host, "/version")).body);
  }
  expect([...versions]).toHaveLength(1);
  return [...versions][0]!;
}

async function lockHeld(): Promise<boolean> {
  return (await h1.exec(`test -e ${LOCK_HOST_LOCK}`)).code === 0;
}

/** The next plain deploy converges every host on HEAD; a lock left by a killed berth is named first, then released. */
async function converge(): Promise<string> {
  let deploy = await berth(project, ["deploy"]);
  let outcome = "next deploy converged";
  if (deploy.code !== 0 && /Deploy lock found/.test(deploy.stderr)) {
    expect(deploy.stderr).toMatch(/Deploy lock found on 10\.210\.0\.11, held by E2E Deployer since \S+ \(version \w+: Automatic deploy lock\)\. .*`berth lock release`/);
    const released = await berth(project, ["lock", "release"]);
    expect(released.code, released.output).toBe(0);
    deploy = await berth(project, ["deploy"]);
    outcome = "next deploy named the stale lock; after `berth lock release` it converged";
  }
  expect(deploy.code, deploy.output).toBe(0);
  expect(await oneVersionEverywhere()).toBe(project.head());
  expect(await lockHeld()).toBe(false);
  return outcome;
}

/** No `docker build` of the project's image runs on this machine any more (none outlived berth). */
async function noBuildLeft(): Promise<void> {
  await expect
    .poll(() => {
      const running = spawnSyncText("pgrep", ["-f", "docker build -t 10.210.0.1:5555/berth-test/app"]);
      return running.trim();
    }, { timeout: 5000 })
    .toBe("");
}

function spawnSyncText(command: string, args: string[]): string {
  try {
    return execText(command, args);
  } catch {
    return "";
  }
}

// The matrix: each phase × each signal ------------------------------------------------------------

type Switch = "slow-build" | "slow-up" | "slow-stop";

interface Phase {
  readonly name: string;
  /** The output line that says the phase is under way (-v shows every command). */
  readonly at: RegExp;
  /** Switches on in the version deployed, to make the phase last (the others are off). */
  readonly switches?: Partial<Record<Switch, string>>;
  /** The build is slow: the recovery deploys a commit without it (else HEAD is deployed again). */
  readonly newCommitToRecover?: boolean;
}

const PHASES: readonly Phase[] = [
  { name: "build/push", at: /Running docker build -t/, switches: { "slow-build": "30" }, newCommitToRecover: true },
  { name: "pull", at: /^Pull app image\.\.\./m },
  { name: "boot", at: /^Start container with version/m },
  { name: "switch", at: /Running (?:docker exec kamal-proxy )?kamal-proxy deploy app-web/, switches: { "slow-up": "3" } },
  { name: "prune", at: /^Prune old containers and images\.\.\./m },
  // The old version must stop slowly too: see the test.
  { name: "stop old", at: /Running docker stop .*app-(?:web|workers)-/, switches: { "slow-stop": "3" } },
];

/** The files a commit needs for exactly these switches on. */
function switches(on: Partial<Record<Switch, string>> = {}): Record<string, string | null> {
  const files: Record<string, string | null> = {};
  for (const name of ["slow-build", "slow-up", "slow-stop"] as const) {
    if (on[name] !== undefined) files[name] = on[name];
    else if (existsSync(join(project.dir, name))) files[name] = null;
  }
  return files;
}
const SIGNALS: readonly NodeJS.Signals[] = ["SIGKILL", "SIGTERM", "SIGINT"];

describe("berth killed at each phase of a deploy", () => {
  let phaseIndex = 0;
  for (const phase of PHASES) {
    for (const name of SIGNALS) {
      it(`${name} during ${phase.name}`, async () => {
        const index = phaseIndex++;
        // The old container's stop is slow only if the version running now has slow-stop too.
        if (phase.switches?.["slow-stop"] !== undefined && !existsSync(join(project.dir, "slow-stop"))) {
          project.release("slow stops", switches(phase.switches));
          expect((await berth(project, ["deploy"])).code).toBe(0);
        }
        const before = await oneVersionEverywhere();
        const version = project.release(`kill-${index}`, switches(phase.switches));
        const running = start(["deploy", "-v"]);
        await waitForOutput(running, phase.at);
        signal(running, name);
        const finished = await bounded(running);
        let outcome: string;
        if (name === "SIGKILL") {
          expect(finished.signal).toBe("SIGKILL");
          outcome = "killed";
        } else {
          expect(finished.code, finished.output).toBe(name === "SIGINT" ? 130 : 143);
          expect(finished.output).toMatch(new RegExp(`ERROR \\(Berth::Interrupted\\): Interrupted by ${name}: `));
          expect(finished.output).toMatch(/^Released the deploy lock$/m);
          expect(await lockHeld()).toBe(false);
          const served = await oneVersionEverywhere();
          const finishedAnyway = /so the deploy was finished/.test(finished.output);
          expect(served).toBe(finishedAnyway ? version : before);
          outcome = finishedAnyway ? `lock released; every host had switched: finished, ${version.slice(0, 7)} serves` : `lock released; ${before.slice(0, 7)} (old) serves everywhere`;
        }
        if (phase.name === "build/push") await noBuildLeft();
        if (phase.newCommitToRecover) project.release(`recover-${index}`, switches());
        const converged = await converge();
        figures.push(`${name} during ${phase.name} | ${finished.code ?? finished.signal} | ${finished.seconds.toFixed(1)} s | ${outcome}; ${converged}`);
      });
    }
  }

  it("leaves the slow switches behind", async () => {
    project.release("matrix done", switches());
    expect(await converge()).toBe("next deploy converged");
  });
});

// A failed test must not make the next ones fail: no lock left, no switch left on.
beforeEach(async () => {
  if (bed === undefined || project === undefined) return;
  if (await lockHeld()) await berth(project, ["lock", "release"]);
});

// The SSH link ------------------------------------------------------------------------------------

describe("a host's network cut", () => {
  it("before a deploy: a bounded failure naming the host, nothing changed, then convergence", async () => {
    const before = await oneVersionEverywhere();
    const version = project.release("cut-before", switches());
    await bed.setReachable(h2, false);
    let deploy: Awaited<ReturnType<typeof berth>>;
    const started = performance.now();
    try {
      deploy = await berth(project, ["deploy"]);
    } finally {
      await bed.setReachable(h2, true);
    }
    const seconds = (performance.now() - started) / 1000;
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/Exception while executing on host 10\.210\.0\.12: Cannot connect to 10\.210\.0\.12 .*no answer within 15 s/);
    expect(seconds).toBeLessThan(30);
    expect(await lockHeld()).toBe(false);
    expect(await sh(h1, `docker ps -a -q --filter name=app-web-${version}`)).toBe("");
    expect(await oneVersionEverywhere()).toBe(before);
    const converged = await converge();
    figures.push(`network of h2 cut before deploy | ${deploy.code} | ${seconds.toFixed(1)} s | names h2, nothing changed; ${converged}`);
  });

  for (const [which, lockHost] of [["h2 (not the lock's host)", false], ["h1 (the lock's host)", true]] as const) {
    it(`in the middle of a deploy, ${which}: a bounded failure naming the host, the other host on one version, then convergence`, async () => {
      const cut = lockHost ? h1 : h2;
      const other = lockHost ? h2 : h1;
      const before = await oneVersionEverywhere();
      project.release(`cut-${cut.name}`, switches());
      const running = start(["deploy"]);
      try {
        await waitForOutput(running, /^Start container with version/m);
        await bed.setReachable(cut, false);
        const finished = await bounded(running, 60_000);
        const output = finished.output;
        expect(finished.code, output).toBe(1);
        expect(output).toContain(`Exception while executing on host ${cut.ip}`);
        expect(output).not.toMatch(/^\s+at /m);
        expect(finished.seconds).toBeLessThan(45);
        // The host that stayed reachable runs one version per role, the old one, and serves it.
        const roles = await runningVersions(other);
        for (const [role, versions] of roles) expect(versions, `${role} on ${other.name}`).toEqual([before]);
        expect((await httpGet(other, "/version")).body).toBe(before);
        if (lockHost) {
          expect(output).toContain("The deploy lock on 10.210.0.11 was NOT released (10.210.0.11 can't be reached). Once no deploy runs, clear it with `berth lock release`");
        } else {
          expect(output).toContain("Released the deploy lock");
          expect(await lockHeld()).toBe(false);
        }
        figures.push(
          `network of ${cut.name} cut mid-deploy | ${finished.code} | ${finished.seconds.toFixed(1)} s | names ${cut.ip}; ${other.name} back on the old version; ` +
            (lockHost ? "lock named with `berth lock release`" : "lock released"),
        );
      } finally {
        running.child.kill("SIGKILL");
        await bed.setReachable(cut, true);
      }
      const converged = await converge();
      figures[figures.length - 1] += `; ${converged}`;
    });
  }
});

// The lock ----------------------------------------------------------------------------------------

describe("two deploys started at the same moment", () => {
  it("lets exactly one proceed; the other names the holder and stops its build", async () => {
    const version = project.release("race", switches());
    const [a, b] = [start(["deploy"]), start(["deploy"])];
    const results = await Promise.all([bounded(a), bounded(b)]);
    const winners = results.filter((result) => result.code === 0);
    const losers = results.filter((result) => result.code !== 0);
    expect(winners, results.map((result) => result.output).join("\n-----\n")).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]!.output).toMatch(/Deploy lock found on 10\.210\.0\.11, held by E2E Deployer since/);
    expect(losers[0]!.output).toContain("Locked by: E2E Deployer");
    await noBuildLeft();
    expect(await oneVersionEverywhere()).toBe(version);
    expect(await lockHeld()).toBe(false);
    figures.push(`two deploys at once | ${winners[0]!.code} and ${losers[0]!.code} | ${Math.max(...results.map((result) => result.seconds)).toFixed(1)} s | one proceeded, the other named the holder`);
  });
});

// Host keys, stale images, maintenance ----------------------------------------------------------

describe("configuration faults", () => {
  it("refuses a host whose key changed before changing anything, says how to fix it, and deploys once fixed", async () => {
    const before = await oneVersionEverywhere();
    const keyFile = join(bed.workDir, h2.name, "ssh_host_ed25519_key");
    rmSync(keyFile);
    rmSync(`${keyFile}.pub`);
    execText("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "rebuilt", "-f", keyFile]);
    await sh(h2, "kill -HUP $(cat /run/sshd.pid)");
    await serving(h2, readFileSync(`${keyFile}.pub`, "utf8").split(" ")[1] as string);
    const version = project.release("new-host-key");
    const started = performance.now();
    const deploy = await berth(project, ["deploy"]);
    const seconds = (performance.now() - started) / 1000;
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(`The SSH host key of ${h2.ip} has CHANGED since it was recorded in ${bed.knownHostsPath}:`);
    expect(deploy.stderr).toContain(`ssh-keygen -R ${h2.ip} -f ${bed.knownHostsPath}`);
    for (const host of [h1, h2]) expect(await sh(host, `docker ps -a -q --filter name=app-web-${version}`)).toBe("");
    expect(await oneVersionEverywhere()).toBe(before);
    expect(await lockHeld()).toBe(false);
    // The fix it names, and the new key recorded: the deploy goes through.
    execText("ssh-keygen", ["-R", h2.ip, "-f", bed.knownHostsPath]);
    writeFileSync(bed.knownHostsPath, `${readFileSync(bed.knownHostsPath, "utf8")}${h2.ip} ${readFileSync(`${keyFile}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}\n`);
    const converged = await converge();
    figures.push(`changed host key | ${deploy.code} | ${seconds.toFixed(1)} s | refused before any change, names ssh-keygen -R; ${converged}`);
  });

  it("refuses an ssh.config file that doesn't exist instead of skipping it", async () => {
    const yml = readFileSync(join(project.dir, "config/deploy.yml"), "utf8");
    writeFileSync(join(project.dir, "config/deploy.yml"), yml.replace("config: ssh_config", "config: missing_ssh_config"));
    try {
      const deploy = await berth(project, ["deploy"]);
      expect(deploy.code).toBe(1);
      expect(deploy.stderr).toContain(`ssh.config: cannot read the SSH config file missing_ssh_config (${join(project.dir, "missing_ssh_config")}, resolved against ${project.dir} as Kamal does)`);
      expect(await lockHeld()).toBe(false);
    } finally {
      writeFileSync(join(project.dir, "config/deploy.yml"), yml);
    }
  });

  it("rebuilds an explicit VERSION's image after new commits instead of shipping the old code", async () => {
    project.release("explicit-a");
    expect((await berth(project, ["deploy", "--version", "fixed-1"])).code).toBe(0);
    for (const host of [h1, h2]) expect(await httpGet(host, "/release")).toEqual({ status: 200, body: "explicit-a" });
    project.release("explicit-b");
    const deploy = await berth(project, ["deploy", "--version", "fixed-1"]);
    expect(deploy.code, deploy.output).toBe(0);
    expect(deploy.output).not.toContain("was already built from this commit");
    for (const host of [h1, h2]) expect(await httpGet(host, "/release")).toEqual({ status: 200, body: "explicit-b" });
    // The same commit again: the image is reused.
    const again = await berth(project, ["deploy", "--version", "fixed-1"]);
    expect(again.output).toContain("was already built from this commit");
    figures.push("explicit VERSION after a new commit | 0 | - | rebuilt: the new code serves");
    await converge();
  });

  it("warns that a deploy during maintenance leaves the app in maintenance", async () => {
    expect((await berth(project, ["app", "maintenance"])).code).toBe(0);
    const version = project.release("in-maintenance");
    const deploy = await berth(project, ["deploy"]);
    expect(deploy.code, deploy.output).toBe(0);
    expect(deploy.output).toContain(`web is in maintenance mode on ${h1.ip}, ${h2.ip}: the new version runs, but the proxy answers with the maintenance page until \`berth app live\``);
    expect((await httpGet(h1, "/version")).status).toBe(503);
    expect((await berth(project, ["app", "live"])).code).toBe(0);
    expect(await oneVersionEverywhere()).toBe(version);
    figures.push("deploy during app maintenance | 0 | - | warns the app stays in maintenance");
  });
});

/** Waits (bounded) until the host's sshd offers the new key: a loaded machine reloads sshd late. */
async function serving(host: TestHost, publicKey: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    let offered = "";
    try {
      offered = execFileSync("ssh-keyscan", ["-T", "2", "-t", "ed25519", host.ip], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      // not answering yet
    }
    if (offered.includes(publicKey)) return;
    await sleep(200);
  }
  throw new Error(`sshd on ${host.ip} never offered the new host key`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function execText(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

// The release phase (x-berth.release) and all-or-nothing deploys and rollbacks, against fake
// servers: where and when the release command runs, what a failure leaves, what is put back.
import { describe, expect, it } from "vitest";
import { deploy, type DeployOptions } from "../../../src/deploy/deploy.js";
import { ReleaseError } from "../../../src/deploy/release.js";
import { rollback } from "../../../src/deploy/rollback.js";
import { InterruptedError } from "../../../src/util/errors.js";
import { harness, type Harness, type Responder } from "./fake.js";

const CONFIG = `service: app
image: team/app
registry:
  server: registry.example:5000
  username: deployer
  password:
    - REGISTRY_PASSWORD
servers:
  web:
    - 10.0.0.1
    - 10.0.0.2
builder:
  arch: amd64
readiness_delay: 0
`;
const RELEASE_CONFIG = `${CONFIG}x-berth:\n  release:\n    cmd: bin/migrate --all\n`;

const SECRETS = { REGISTRY_PASSWORD: "registry-pw" };
const NEW_ID = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
const OLD_ID = "0dd0dd0dd0dd";
const UNLOCK = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";
const RELEASE_RUN = /^docker run --rm --name app-web-release-999-[0-9a-f]{6} --network kamal .* registry\.example:5000\/team\/app:999 bin\/migrate --all 2>&1$/;

/** Version 998 runs web on the hosts in `running` (default both), 997's container exited; `extra` answers first. */
function servers(extra: Responder = () => undefined, running: readonly string[] = ["10.0.0.1", "10.0.0.2"]): Responder {
  return (host, command, stdin) => {
    const reply = extra(host, command, stdin);
    if (reply) return reply;
    if (command.startsWith('docker inspect --format "{{if index . \\"State\\"}}container|')) {
      const lines = [
        "container|/kamal-proxy|sha256:ffff|running|2026-01-01T00:00:00Z|registry.example:5000/team/berth-proxy:v0.9.2.0.1.1|",
        ...(running.includes(host)
          ? ["container|/app-web-998|sha256:998a|running|2026-01-01T09:00:00Z|registry.example:5000/team/app:998|web", "container|/app-web-997|sha256:997a|exited|2026-01-01T08:00:00Z|registry.example:5000/team/app:997|web"]
          : []),
        "image|sha256:998a|app|registry.example:5000/team/app:998 registry.example:5000/team/app:latest ",
      ];
      return { stdout: `${lines.join("\n")}\n` };
    }
    if (command.startsWith("docker run --detach")) return { stdout: `${NEW_ID}\n` };
    if (command.startsWith("docker container ls --filter 'name=^app-web-998$' --quiet")) return { stdout: `${OLD_ID}\n` };
    if (command.startsWith("docker container ls --all --filter 'name=^app-web-997$' --quiet")) return { stdout: "997997997997\n" };
    if (command.includes("--format '{{ .Names }}'")) return { stdout: "app-web-998\napp-web-997\n" };
    if (command.includes("xargs docker inspect --format '{{if .State.Health}}")) return { stdout: "running\n" };
    return undefined;
  };
}

async function deployed(h: Harness, options: Partial<DeployOptions> = {}): Promise<Error | undefined> {
  return deploy(h.run, { skipPush: true, noCache: false, ...options }).then(
    () => undefined,
    (error: Error) => error,
  );
}

const proxyDeploy = (command: string, target: string): boolean => command.startsWith("docker exec kamal-proxy kamal-proxy deploy app-web") && command.includes(`--target="${target}:80"`);
const indexOf = (h: Harness, test: (command: string) => boolean): number => h.servers.recorded.findIndex((entry) => test(entry.command));
const lastIndexOf = (h: Harness, test: (command: string) => boolean): number => h.servers.recorded.findLastIndex((entry) => test(entry.command));

describe("the release phase", () => {
  it("runs once on the primary host, after every host pulled and before any container of the new version starts, its output prefixed and audited", async () => {
    const h = await harness(RELEASE_CONFIG, {
      secrets: SECRETS,
      responder: servers((_host, command) => (RELEASE_RUN.test(command) ? { stdout: "migrated 3 tables\nok\n" } : undefined)),
    });
    expect(await deployed(h)).toBeUndefined();
    const releases = h.servers.recorded.filter((entry) => RELEASE_RUN.test(entry.command));
    expect(releases.map((entry) => entry.host)).toEqual(["10.0.0.1"]);
    const release = indexOf(h, (command) => RELEASE_RUN.test(command));
    expect(release).toBeGreaterThan(lastIndexOf(h, (command) => command.startsWith("docker pull")));
    expect(release).toBeLessThan(indexOf(h, (command) => command.startsWith("docker run --detach")));
    expect(release).toBeLessThan(indexOf(h, (command) => proxyDeploy(command, NEW_ID.slice(0, 12))));
    // The new version's env file is on the host before the release container reads it.
    expect(h.servers.commandsOn("10.0.0.1").findIndex((command) => command.includes(".kamal/apps/app/env/roles/web.env"))).toBeLessThan(
      h.servers.commandsOn("10.0.0.1").findIndex((command) => RELEASE_RUN.test(command)),
    );
    expect(h.stdout.text).toContain("release 10.0.0.1| migrated 3 tables");
    expect(h.stdout.text).toContain("release 10.0.0.1| ok");
    const audit = h.servers.commandsOn("10.0.0.1").filter((command) => command.includes("app-audit.log"));
    expect(audit.some((command) => /Running release command in app-web-release-999-[0-9a-f]{6}: bin\/migrate --all/.test(command))).toBe(true);
    expect(audit.some((command) => command.includes("Release command finished in"))).toBe(true);
  });

  it("switches nothing when the command fails, releases the lock and names the failure", async () => {
    const h = await harness(RELEASE_CONFIG, {
      secrets: SECRETS,
      responder: servers((_host, command) => (RELEASE_RUN.test(command) ? { code: 3, stdout: "pending migration failed\n" } : undefined)),
    });
    const error = await deployed(h);
    expect(error).toBeInstanceOf(ReleaseError);
    expect(error!.message).toBe(
      "The release command `bin/migrate --all` failed with exit status 3 on 10.0.0.1; no host was switched to 999, the version that ran before keeps serving",
    );
    expect(h.stdout.text).toContain("release 10.0.0.1| pending migration failed");
    for (const host of ["10.0.0.1", "10.0.0.2"]) {
      expect(h.servers.commandsOn(host).some((command) => command.startsWith("docker run --detach") || command.includes("kamal-proxy deploy"))).toBe(false);
    }
    expect(h.servers.commandsOn("10.0.0.1").some((command) => command.includes("Release command failed with exit status 3"))).toBe(true);
    expect(h.servers.commandsOn("10.0.0.1").at(-1)).toBe(UNLOCK);
  });

  it("stops the release container at a signal, and starts nothing", async () => {
    const h: Harness = await harness(RELEASE_CONFIG, {
      secrets: SECRETS,
      responder: servers((_host, command) => {
        if (RELEASE_RUN.test(command)) h.cleanup.interrupt("SIGINT");
      }),
    });
    const error = await deployed(h);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error!.message).toBe("Interrupted by SIGINT: no container of 999 had started; the servers run what they ran before");
    const h1 = h.servers.commandsOn("10.0.0.1");
    expect(h1.some((command) => /^docker stop app-web-release-999-[0-9a-f]{6}$/.test(command))).toBe(true);
    expect(h.servers.recorded.some((entry) => entry.command.startsWith("docker run --detach"))).toBe(false);
    expect(h1.at(-1)).toBe(UNLOCK);
  });

  it("is skipped with --skip-release, and absent without x-berth.release", async () => {
    for (const [config, options] of [[RELEASE_CONFIG, { skipRelease: true }], [CONFIG, {}]] as const) {
      const h = await harness(config, { secrets: SECRETS, responder: servers() });
      expect(await deployed(h, options)).toBeUndefined();
      expect(h.servers.recorded.some((entry) => entry.command.includes("release"))).toBe(false);
      expect(h.servers.recorded.some((entry) => entry.command.startsWith("docker run --detach"))).toBe(true);
    }
  });
});

describe("all-or-nothing deploys", () => {
  // 10.0.0.1 runs 998; 10.0.0.2 runs nothing yet (a host added to the fleet); 10.0.0.1's switch fails.
  const failingSwitch = (): Responder =>
    servers((host, command) => (host === "10.0.0.1" && proxyDeploy(command, NEW_ID.slice(0, 12)) ? { code: 1, stderr: "Error: target failed to become healthy" } : undefined), ["10.0.0.1"]);

  it("with --atomic, takes the new version off a host where nothing ran before and reports what failed and what was reverted", async () => {
    const h = await harness(CONFIG, { secrets: SECRETS, responder: failingSwitch() });
    const error = await deployed(h, { atomic: true });
    expect(error).toBeDefined();
    const h2 = h.servers.commandsOn("10.0.0.2");
    expect(h2.findIndex((command) => command.includes("'name=^app-web-999$' --quiet | xargs docker stop"))).toBeGreaterThan(h2.findIndex((command) => proxyDeploy(command, NEW_ID.slice(0, 12))));
    expect(h.stdout.text).toContain("The deploy of 999 failed: web on 10.0.0.1.");
    expect(h.stdout.text).toContain("Reverted web on 10.0.0.2: app-web-999 stopped (nothing ran there before)");
    expect(h.servers.commandsOn("10.0.0.1").some((command) => command.startsWith("docker stop app-web-998"))).toBe(false);
    expect(h.servers.commandsOn("10.0.0.1").at(-1)).toBe(UNLOCK);
  });

  it("without it, leaves the new version where nothing ran before, and says so", async () => {
    const h = await harness(CONFIG, { secrets: SECRETS, responder: failingSwitch() });
    expect(await deployed(h)).toBeDefined();
    expect(h.servers.commandsOn("10.0.0.2").some((command) => command.includes("'name=^app-web-999$' --quiet | xargs docker stop"))).toBe(false);
    expect(h.stdout.text).toContain("app-web-999 stays on 10.0.0.2: nothing ran there before");
  });

  it("takes x-berth.atomic from the file, and --no-atomic over it", async () => {
    const atomicConfig = `${CONFIG}x-berth:\n  atomic: true\n`;
    const fromFile = await harness(atomicConfig, { secrets: SECRETS, responder: failingSwitch() });
    await deployed(fromFile);
    expect(fromFile.stdout.text).toContain("Reverted web on 10.0.0.2");
    const overridden = await harness(atomicConfig, { secrets: SECRETS, responder: failingSwitch() });
    await deployed(overridden, { atomic: false });
    expect(overridden.stdout.text).not.toContain("Reverted web on 10.0.0.2");
  });
});

describe("rollback", () => {
  it("is all-or-nothing: when one host fails, a host that switched goes back to the container it left, which kept running", async () => {
    const h = await harness(CONFIG, {
      secrets: SECRETS,
      version: "997",
      responder: servers((host, command) => (host === "10.0.0.2" && proxyDeploy(command, NEW_ID.slice(0, 12)) ? { code: 1, stderr: "Error: target failed to become healthy" } : undefined)),
    });
    await expect(rollback(h.run, "997")).rejects.toThrow();
    const h1 = h.servers.commandsOn("10.0.0.1");
    const switched = h1.findIndex((command) => proxyDeploy(command, NEW_ID.slice(0, 12)));
    expect(switched).toBeGreaterThanOrEqual(0);
    expect(h1.findIndex((command) => proxyDeploy(command, OLD_ID))).toBeGreaterThan(switched);
    for (const host of ["10.0.0.1", "10.0.0.2"]) expect(h.servers.commandsOn(host).some((command) => /docker stop .*app-web-998/.test(command))).toBe(false);
    expect(h.stdout.text).toContain("The rollback to 997 failed: web on 10.0.0.2.");
    expect(h.stdout.text).toContain("Reverted web on 10.0.0.1: app-web-997 -> app-web-998");
  });

  it("stops the containers it replaced once every host serves the version", async () => {
    const h = await harness(CONFIG, { secrets: SECRETS, version: "997", responder: servers() });
    await rollback(h.run, "997");
    for (const host of ["10.0.0.1", "10.0.0.2"]) {
      const commands = h.servers.commandsOn(host);
      expect(commands.findIndex((command) => /docker stop .*app-web-998/.test(command))).toBeGreaterThan(commands.findIndex((command) => proxyDeploy(command, NEW_ID.slice(0, 12))));
    }
  });
});

describe("all-or-nothing: the first failure stops the others before they switch", () => {
  const HOSTS = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
  const THREE = CONFIG.replace("    - 10.0.0.2\n", "    - 10.0.0.2\n    - 10.0.0.3\n");
  // 10.0.0.1's new container can't start (docker run fails at once).
  const failingRun = (): Responder => servers((host, command) => (host === "10.0.0.1" && command.startsWith("docker run --detach") ? { code: 125, stderr: "docker: Error response from daemon: no space left on device." } : undefined), HOSTS);
  const switchedTo = (h: Harness, host: string, id: string): boolean => h.servers.commandsOn(host).some((command) => proxyDeploy(command, id));

  it("with --atomic, no other host switches: their new containers are stopped and the report says why", async () => {
    const h = await harness(THREE, { secrets: SECRETS, responder: failingRun() });
    const error = await deployed(h, { atomic: true });
    expect(error).toBeDefined();
    for (const host of ["10.0.0.2", "10.0.0.3"]) {
      expect(switchedTo(h, host, NEW_ID.slice(0, 12)), host).toBe(false);
      expect(h.stdout.text).toContain(`Not switched: web on ${host} (web on 10.0.0.1 failed)`);
    }
    expect(h.stdout.text).toContain("The deploy of 999 failed: web on 10.0.0.1.");
    expect(h.stdout.text).toContain("No host had switched to it: every host runs what it ran before.");
    for (const host of HOSTS) expect(h.servers.commandsOn(host).some((command) => command.startsWith("docker stop app-web-998")), host).toBe(false);
    expect(h.servers.commandsOn("10.0.0.1").at(-1)).toBe(UNLOCK);
  });

  it("without it, the other hosts go on and switch, as Kamal's do", async () => {
    const h = await harness(THREE, { secrets: SECRETS, responder: failingRun() });
    expect(await deployed(h)).toBeDefined();
    for (const host of ["10.0.0.2", "10.0.0.3"]) expect(switchedTo(h, host, NEW_ID.slice(0, 12)), host).toBe(true);
    expect(h.stdout.text).not.toContain("Not switched");
  });

  it("with boot.limit, the later groups start nothing", async () => {
    const h = await harness(`${THREE}boot:\n  limit: 1\n`, { secrets: SECRETS, responder: failingRun() });
    expect(await deployed(h, { atomic: true })).toBeDefined();
    for (const host of ["10.0.0.2", "10.0.0.3"]) expect(h.servers.commandsOn(host).some((command) => command.startsWith("docker run --detach")), host).toBe(false);
  });

  it("rollback stops the others too", async () => {
    const h = await harness(THREE, { secrets: SECRETS, version: "997", responder: failingRun() });
    await expect(rollback(h.run, "997")).rejects.toThrow();
    for (const host of ["10.0.0.2", "10.0.0.3"]) expect(switchedTo(h, host, NEW_ID.slice(0, 12)), host).toBe(false);
    expect(h.stdout.text).toContain("Not switched: web on 10.0.0.2 (web on 10.0.0.1 failed)");
  });
});

// Deploys that are interrupted (Ctrl-C, SIGTERM) or lose a host midway, against fake servers:
// what they put back, what they say, and that the lock is given back (or named when it can't be).
import { describe, expect, it } from "vitest";
import { deploy } from "../../../src/deploy/deploy.js";
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
  worker:
    hosts:
      - 10.0.0.2
    cmd: bin/jobs
builder:
  arch: amd64
readiness_delay: 0
`;

const SECRETS = { REGISTRY_PASSWORD: "registry-pw" };
const NEW_ID = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
const OLD_ID = "0dd0dd0dd0dd";
const RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";

/** Version 998 runs everywhere (web on both hosts, the worker on 10.0.0.2); `extra` answers first. */
function servers(extra: Responder = () => undefined): Responder {
  return (host, command, stdin) => {
    const reply = extra(host, command, stdin);
    if (reply) return reply;
    if (command.startsWith('docker inspect --format "{{if index . \\"State\\"}}container|')) {
      const lines = [
        "container|/kamal-proxy|sha256:ffff|running|2026-01-01T00:00:00Z|registry.example:5000/team/berth-proxy:v0.9.2.0.1.1|",
        "container|/app-web-998|sha256:998a|running|2026-01-01T09:00:00Z|registry.example:5000/team/app:998|web",
        ...(host === "10.0.0.2" ? ["container|/app-worker-998|sha256:998a|running|2026-01-01T09:00:00Z|registry.example:5000/team/app:998|worker"] : []),
        "image|sha256:998a|app|registry.example:5000/team/app:998 registry.example:5000/team/app:latest ",
      ];
      return { stdout: `${lines.join("\n")}\n` };
    }
    if (command.startsWith("docker run --detach")) return { stdout: `${NEW_ID}\n` };
    if (command.startsWith("docker container ls --filter 'name=^app-web-998$' --quiet")) return { stdout: `${OLD_ID}\n` };
    if (command.includes("xargs docker inspect --format '{{if .State.Health}}")) return { stdout: "running\n" };
    return undefined;
  };
}

async function deployed(h: Harness): Promise<Error | undefined> {
  return deploy(h.run, { skipPush: true, noCache: false }).then(
    () => undefined,
    (error: Error) => error,
  );
}

const switchedTo = (commands: readonly string[], target: string): number =>
  commands.findIndex((command) => command.startsWith("docker exec kamal-proxy kamal-proxy deploy app-web") && command.includes(`--target="${target}:80"`));

describe("a deploy interrupted by a signal", () => {
  it("stops before anything starts when the signal comes before the boot, and gives the lock back", async () => {
    const h: Harness = await harness(CONFIG, {
      secrets: SECRETS,
      responder: servers((_host, command) => {
        if (command.startsWith("docker pull")) h.cleanup.interrupt("SIGTERM");
      }),
    });
    const error = await deployed(h);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error!.message).toBe("Interrupted by SIGTERM: no container of 999 had started; the servers run what they ran before");
    for (const host of ["10.0.0.1", "10.0.0.2"]) {
      expect(h.servers.commandsOn(host).some((command) => command.startsWith("docker run"))).toBe(false);
    }
    expect(h.servers.commandsOn("10.0.0.1").at(-1)).toBe(RELEASE);
    expect(h.stdout.text).toContain("Released the deploy lock");
  });

  it("switches a host that went live back to the old container, stops the new ones, and says so truthfully", async () => {
    const h: Harness = await harness(CONFIG, {
      secrets: SECRETS,
      responder: servers((host, command) => {
        // Ctrl-C while 10.0.0.1's switch is under way: it goes through; 10.0.0.2 hasn't switched.
        if (host === "10.0.0.1" && command.includes("kamal-proxy deploy app-web") && command.includes(NEW_ID.slice(0, 12))) h.cleanup.interrupt("SIGINT");
      }),
    });
    const error = await deployed(h);
    expect(error).toBeInstanceOf(InterruptedError);
    const h1 = h.servers.commandsOn("10.0.0.1");
    // Back to the old container, which was never stopped, then the new one stopped.
    expect(switchedTo(h1, OLD_ID)).toBeGreaterThan(switchedTo(h1, NEW_ID.slice(0, 12)));
    expect(h1.indexOf("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker stop")).toBeGreaterThan(switchedTo(h1, OLD_ID));
    expect(h1.some((command) => command.startsWith("docker stop app-web-998"))).toBe(false);
    expect(h1.some((command) => command.startsWith("docker tag"))).toBe(false);
    for (const host of ["10.0.0.1", "10.0.0.2"]) expect(h.servers.commandsOn(host).some((command) => /docker stop .*app-\w+-998/.test(command))).toBe(false);
    expect(h1.at(-1)).toBe(RELEASE);
    expect(error!.message).toMatch(/^Interrupted by SIGINT: 999 had gone live on 10\.0\.0\.1(, 10\.0\.0\.2)?, which went back to the version that ran before; the new containers were stopped$/);
    expect(h.stdout.text).not.toContain("Failed to boot");
  });

  it("finishes a deploy whose hosts had all switched, and reports it as interrupted", async () => {
    const h: Harness = await harness(CONFIG, {
      secrets: SECRETS,
      responder: servers((_host, command) => {
        if (command.startsWith("docker stop app-web-998")) h.cleanup.interrupt("SIGINT");
      }),
    });
    const error = await deployed(h);
    expect(error!.message).toBe("Interrupted by SIGINT: every host had switched to 999 already, so the deploy was finished (old containers stopped)");
    expect(h.servers.commandsOn("10.0.0.2")).toContain("docker stop -t 30 app-worker-998");
    expect(h.servers.commandsOn("10.0.0.1").at(-1)).toBe(RELEASE);
  });
});

describe("a deploy that loses a host midway", () => {
  it("fails at once naming the host, doesn't wait on it again, and puts the other host back", async () => {
    const h: Harness = await harness(CONFIG, {
      secrets: SECRETS,
      responder: servers((host, command) => {
        // 10.0.0.2 drops off the network as its new web container starts.
        if (host === "10.0.0.2" && command.startsWith("docker run --detach --restart unless-stopped --name app-web-999")) {
          h.servers.unreachable.add(host);
          return { stdout: `${NEW_ID}\n` };
        }
      }),
    });
    const error = await deployed(h);
    expect(error!.message).toMatch(/^Exception while executing on host 10\.0\.0\.2: SSH to 10\.0\.0\.2 timed out/);
    const h2 = h.servers.commandsOn("10.0.0.2");
    // Nothing more was tried there: no logs fetched, nothing put back.
    expect(h2.at(-1)).toMatch(/^docker run --detach --restart unless-stopped --name app-web-999/);
    expect(h.stdout.text).toContain("Lost the connection to 10.0.0.2 while booting web there");
    expect(h.stdout.text).not.toContain("Could not fetch logs");
    // 10.0.0.1 had switched: back to 998, the new container stopped; the lock given back.
    const h1 = h.servers.commandsOn("10.0.0.1");
    expect(switchedTo(h1, OLD_ID)).toBeGreaterThan(switchedTo(h1, NEW_ID.slice(0, 12)));
    expect(h1).toContain("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker stop");
    expect(h1.at(-1)).toBe(RELEASE);
  });

  it("names the lock it can't give back when the lock's host is lost, and the command that clears it", async () => {
    const h: Harness = await harness(CONFIG, {
      secrets: SECRETS,
      responder: servers((host, command) => {
        if (host === "10.0.0.1" && command.startsWith("docker pull")) h.servers.unreachable.add(host);
      }),
    });
    const error = await deployed(h);
    expect(error!.message).toContain("10.0.0.1");
    // One attempt at the release, which failed at once: the host was known to be lost.
    expect(h.servers.commandsOn("10.0.0.1").filter((command) => command === RELEASE)).toEqual([]);
    expect(h.stdout.text).toContain(
      "The deploy lock on 10.0.0.1 was NOT released (10.0.0.1 can't be reached). Once no deploy runs, clear it with `berth lock release`",
    );
  });
});

describe("a deploy while the app is in maintenance", () => {
  it("warns that the proxy keeps answering with the maintenance page", async () => {
    const h = await harness(CONFIG, {
      secrets: SECRETS,
      responder: servers((host, command) => {
        if (command === "docker exec kamal-proxy kamal-proxy list") {
          const state = host === "10.0.0.1" ? "stopped" : "running";
          return { stdout: `Service    Host  Path  Target           State     TLS\napp-web    *     /     4e5f6a7b8c9d:80  ${state}   no\n` };
        }
      }),
    });
    expect(await deployed(h)).toBeUndefined();
    expect(h.stderr.text + h.stdout.text).toContain(
      "web is in maintenance mode on 10.0.0.1: the new version runs, but the proxy answers with the maintenance page until `berth app live`",
    );
  });
});

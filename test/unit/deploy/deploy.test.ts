import { describe, expect, it } from "vitest";
import { bootApp } from "../../../src/deploy/app-boot.js";
import { deploy, rollback } from "../../../src/deploy/deploy.js";
import { FakeDockerDaemon } from "./fake-docker-api.js";
import { harness, type Responder } from "./fake.js";

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
env:
  clear:
    MODE: production
  secret:
    - SECRET_TOKEN
builder:
  arch: amd64
readiness_delay: 0
`;

const SECRETS = { REGISTRY_PASSWORD: "registry-pw", SECRET_TOKEN: "token-3f9c" };
const CONTAINER_ID = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";

interface World {
  /** role → versions running on every host (the first is the current one). */
  running?: Record<string, string[]>;
  /** A container of version 999 exists already (same version deployed again). */
  clash?: boolean;
  /** Stopped web containers of versions 901, 902 ... (901 the oldest), with their images, plus an unused and an untagged image. */
  stopped?: number;
  /** `kamal-proxy deploy` fails (the new container never becomes healthy). */
  unhealthy?: boolean;
}

/** `docker inspect` lines for the host-state read: containers newest first, then the latest image. */
function inspectLines(world: World): string {
  const lines: string[] = ["container|/kamal-proxy|sha256:ffff|running|2026-01-01T00:00:00Z|registry.example:5000/team/berth-proxy:v0.9.2.0.1.2|"];
  for (const [role, versions] of Object.entries(world.running ?? {})) {
    versions.forEach((version, index) => {
      lines.push(`container|/app-${role}-${version}|sha256:${version}aaaa|running|2026-01-01T0${9 - index}:00:00Z|registry.example:5000/team/app:${version}|${role}`);
    });
  }
  if (world.clash && !(world.running?.web ?? []).includes("999")) lines.push("container|/app-web-999|sha256:999aaaa|exited|2025-12-01T00:00:00Z|registry.example:5000/team/app:999|web");
  // The latest image is the current version's (the first listed for each role).
  const latest = Object.values(world.running ?? {})[0]?.[0];
  if (latest !== undefined) lines.push(`image|sha256:${latest}aaaa|app|registry.example:5000/team/app:${latest} registry.example:5000/team/app:latest `);
  for (let index = 1; index <= (world.stopped ?? 0); index++) {
    lines.push(`container|/app-web-90${index}|sha256:90${index}aaaa|exited|2025-11-1${index}T00:00:00Z|registry.example:5000/team/app:90${index}|web`);
    lines.push(`image|sha256:90${index}aaaa|app|registry.example:5000/team/app:90${index} `);
  }
  if (world.stopped !== undefined) lines.push("image|sha256:980aaaa|app|registry.example:5000/team/app:980 ", "image|sha256:dangling|app|", "image|sha256:other|other|team/other:1 ");
  return lines.join("\n");
}

function servers(world: World = {}): Responder {
  return (_host, command) => {
    if (command.startsWith('docker inspect --format "{{if index . \\"State\\"}}container|')) return { stdout: `${inspectLines(world)}\n` };
    if (command.includes("xargs docker logs")) return { stdout: "2026-01-02T03:04:05Z boot: missing DATABASE_URL\n" };
    if (command.startsWith("docker run --detach")) return { stdout: `${CONTAINER_ID}\n` };
    if (command.includes("kamal-proxy deploy") && world.unhealthy) return { code: 1, stderr: "Error: target failed to become healthy within configured timeout (30s)" };
    if (command.includes("xargs docker inspect --format '{{if .State.Health}}")) return { stdout: "running\n" };
    if (command.includes("{{json .State.Health}}")) return { stdout: "null\n" };
    return undefined;
  };
}

describe("deploy (with -P: the image is pulled, not built)", () => {
  it("runs Kamal's steps on every host and leaves the secret only in the env file upload", async () => {
    const { run, servers: fake, stdout, stderr } = await harness(CONFIG, {
      secrets: SECRETS,
      responder: servers({ running: { web: ["998", "997"], worker: ["998"] }, stopped: 6 }),
    });
    await deploy(run, { skipPush: true, noCache: false });

    const h1 = fake.commandsOn("10.0.0.1");
    const index = (prefix: string): number => h1.findIndex((command) => command.startsWith(prefix));
    // Login and audit, then the pull and the label check.
    expect(index("docker login registry.example:5000")).toBeLessThan(index("docker pull registry.example:5000/team/app:999"));
    expect(index("docker pull")).toBeLessThan(index("docker inspect -f '{{ .Config.Labels.service }}' registry.example:5000/team/app:999 | grep -x app"));
    // The lock on the primary host, released at the end.
    expect(index("mkdir .kamal/lock-app && echo")).toBeGreaterThan(-1);
    expect(h1.at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    // Stale 997 and the current 998 stopped once the proxy switched to the new container.
    expect(index("docker exec kamal-proxy kamal-proxy deploy app-web --target=\"4e5f6a7b8c9d:80\"")).toBeGreaterThan(index("docker run --detach"));
    expect(index("docker stop app-web-998")).toBeGreaterThan(index("docker exec kamal-proxy kamal-proxy deploy"));
    expect(index("docker stop app-web-997")).toBeGreaterThan(index("docker exec kamal-proxy kamal-proxy deploy"));
    expect(stdout.text).toContain("Stopping stale container for role web with version 997");
    // The proxy runs already: it isn't started again.
    expect(h1.some((command) => command.startsWith("docker container start kamal-proxy"))).toBe(false);
    expect(index("docker tag registry.example:5000/team/app:999 registry.example:5000/team/app:latest")).toBeGreaterThan(index("docker exec kamal-proxy kamal-proxy deploy"));
    // The prunes start once the new container runs, before the old one stops. What they remove
    // comes from the state read: the containers this deploy stops (web 998 and stale 997 on
    // 10.0.0.1, the worker's 998 too on 10.0.0.2) count as stopped, so retain_containers (5)
    // stopped ones remain once the stops are done; then the images no remaining container uses,
    // but not latest, nor another service's image.
    expect(index("docker rm app-web-903 app-web-902 app-web-901")).toBeGreaterThan(index("docker run --detach"));
    expect(index("docker rm app-web-903 app-web-902 app-web-901")).toBeLessThan(index("docker stop app-web-998"));
    const images = (...versions: number[]): string => versions.map((version) => `registry.example:5000/team/app:${version}`).join(" ");
    expect(h1).toContain(`docker rmi ${images(901, 902, 903, 980)} sha256:dangling`);
    expect(fake.commandsOn("10.0.0.2")).toContain("docker rm app-web-904 app-web-903 app-web-902 app-web-901");
    expect(fake.commandsOn("10.0.0.2")).toContain(`docker rmi ${images(901, 902, 903, 904, 980)} sha256:dangling`);

    // The new container, as Kamal names and labels it, reading its secrets from the env file.
    const dockerRun = h1.find((command) => command.startsWith("docker run --detach"))!;
    expect(dockerRun).toMatch(/^docker run --detach --restart unless-stopped --name app-web-999 --network kamal --hostname 10\.0\.0\.1-[0-9a-f]{12} /);
    expect(dockerRun).toContain('--env MODE="production" --env-file .kamal/apps/app/env/roles/web.env');
    expect(dockerRun).toContain('--label service="app" --label role="web" --label destination registry.example:5000/team/app:999');
    const upload = fake.recorded.find((entry) => entry.host === "10.0.0.1" && entry.command.includes(".kamal/apps/app/env/roles/web.env") && entry.stdin !== undefined)!;
    expect(upload.command).toContain("0600");
    expect(upload.stdin).toBe("SECRET_TOKEN=token-3f9c\n");
    expect(fake.recorded.filter((entry) => entry.command.includes("token-3f9c"))).toEqual([]);
    expect(fake.recorded.filter((entry) => entry.command.includes("registry-pw"))).toEqual([]);
    expect(stdout.text + stderr.text).not.toContain("token-3f9c");

    // Host 2 runs both roles; the worker isn't proxied, its health is polled instead.
    const h2 = fake.commandsOn("10.0.0.2");
    expect(h2.some((command) => command.startsWith("docker run --detach --restart unless-stopped --name app-worker-999") && command.endsWith(" bin/jobs"))).toBe(true);
    expect(h2.some((command) => command.includes("kamal-proxy deploy app-worker"))).toBe(false);
    expect(h2.some((command) => command.includes("'name=^app-worker-999$' --quiet | xargs docker inspect --format"))).toBe(true);
    expect(stdout.text).toContain("Finished all in");
    expect(run.stats().connectionsOpened).toBe(2);
  });

  it("pulls only on hosts that don't hold the image just pushed (same image ID), and takes the lock while building", async () => {
    const pushed = "sha256:1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d";
    const world = servers({ running: { web: ["998"], worker: ["998"] } });
    const { run, servers: fake, local, stdout } = await harness(CONFIG, {
      secrets: SECRETS,
      responder: (host, command, stdin) => {
        // Host 1 holds the pushed image under the tag; host 2 an older build of the same tag.
        const reply = world(host, command, stdin);
        if (!command.startsWith('docker inspect --format "{{if index') || !reply) return reply;
        const image = host === "10.0.0.1" ? pushed : "sha256:0ld0";
        return { stdout: `${reply.stdout ?? ""}image|${image}|app|registry.example:5000/team/app:999 \n` };
      },
    });
    local.responder = (command) => {
      if (command.startsWith("command -v docker")) return { stdout: "classic\n" };
      if (command.startsWith("docker info")) return { stdout: "x86_64\n" };
      // Built here from HEAD before: pushed as it is.
      if (command.startsWith("docker image inspect")) return { stdout: `${pushed} app abc123\n` };
      if (command.startsWith("git rev-parse --show-toplevel HEAD")) return { stdout: `${run.cwd}\nabc123\n---\n` };
      return undefined;
    };
    await deploy(run, { skipPush: false, noCache: false });

    const h1 = fake.commandsOn("10.0.0.1");
    expect(h1.some((command) => command.startsWith("docker pull"))).toBe(false);
    expect(stdout.text).toContain("Image registry.example:5000/team/app:999 on 10.0.0.1 is the image just pushed (sha256:1d1d1d1d1d1d), not pulling it again");
    expect(h1.some((command) => command.startsWith("docker run --detach --restart unless-stopped --name app-web-999"))).toBe(true);
    const h2 = fake.commandsOn("10.0.0.2");
    expect(h2.findIndex((command) => command.startsWith("docker pull registry.example:5000/team/app:999"))).toBeLessThan(
      h2.findIndex((command) => command.startsWith("docker run --detach")),
    );
    // Both tags pushed; the version's before any host pulls it.
    const pushes = local.recorded.map((entry) => entry.command).filter((command) => command.startsWith("docker push"));
    expect(pushes).toEqual(["docker push registry.example:5000/team/app:999", "docker push registry.example:5000/team/app:latest"]);
    // The lock is asked for before the hosts read what runs (and it is given back at the end).
    expect(h1.findIndex((command) => command.startsWith("mkdir .kamal/lock-app"))).toBeLessThan(h1.findIndex((command) => command.startsWith('docker inspect --format "{{if index')));
    expect(h1.at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
  });

  it("moves a container of the same version aside before starting the new one, and stops it after", async () => {
    const { run, servers: fake } = await harness(CONFIG, { secrets: SECRETS, responder: servers({ clash: true, running: { web: ["999"], worker: [] } }) });
    await deploy(run, { skipPush: true, noCache: false });
    const h1 = fake.commandsOn("10.0.0.1");
    const rename = h1.find((command) => command.startsWith("docker rename app-web-999 "))!;
    const renamed = /app-web-(999_replaced_[0-9a-f]{16})$/.exec(rename)![1]!;
    expect(h1.indexOf(rename)).toBeLessThan(h1.findIndex((command) => command.startsWith("docker run")));
    expect(h1).toContain(`docker stop app-web-${renamed}`);
  });

  it("stops the containers of an interrupted deploy of the same version under their new names, once the new one serves", async () => {
    // An earlier deploy of 999 was killed: its containers run beside the current 998's.
    const { run, servers: fake } = await harness(CONFIG, { secrets: SECRETS, responder: servers({ running: { web: ["998", "999"], worker: ["998", "999"] } }) });
    await deploy(run, { skipPush: true, noCache: false });
    for (const [host, role] of [["10.0.0.1", "web"], ["10.0.0.2", "worker"]] as const) {
      const commands = fake.commandsOn(host);
      const rename = commands.find((command) => command.startsWith(`docker rename app-${role}-999 `))!;
      const renamed = /(app-\w+-999_replaced_[0-9a-f]{16})$/.exec(rename)![1]!;
      const started = commands.findIndex((command) => command.startsWith(`docker run --detach --restart unless-stopped --name app-${role}-999 `));
      expect(commands.indexOf(rename)).toBeLessThan(started);
      // Stopped by the name it has now, after the new container started.
      const stop = (name: string): number => commands.findIndex((command) => command.startsWith("docker stop") && command.endsWith(` ${name}`));
      expect(stop(renamed)).toBeGreaterThan(started);
      expect(stop(`app-${role}-998`)).toBeGreaterThan(started);
      expect(commands.some((command) => command.includes(`'name=^app-${role}-999$' --quiet | xargs docker stop`))).toBe(false);
    }
  });

  it("when the new primary containers never become healthy: logs, health, stop, error; other roles don't boot", async () => {
    const { run, servers: fake, stdout } = await harness(CONFIG, { secrets: SECRETS, responder: servers({ unhealthy: true, running: { web: ["998"], worker: ["998"] } }) });
    const error = await deploy(run, { skipPush: true, noCache: false }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("target failed to become healthy");
    for (const host of ["10.0.0.1", "10.0.0.2"]) {
      const commands = fake.commandsOn(host);
      expect(commands).toContain("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker stop");
      // The old version was never stopped, so it keeps serving.
      expect(commands.some((command) => command.startsWith("docker stop app-web-998"))).toBe(false);
      expect(commands.some((command) => command.startsWith("docker tag"))).toBe(false);
    }
    expect(fake.commandsOn("10.0.0.2").some((command) => command.startsWith("docker run --detach --restart unless-stopped --name app-worker"))).toBe(false);
    expect(stdout.text).toContain("Failed to boot web on 10.0.0.1");
    expect(stdout.text).toContain("boot: missing DATABASE_URL");
    expect(fake.commandsOn("10.0.0.1").at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
  });
});

describe("deploy where the hosts' Docker API answers over the SSH connection", () => {
  const world: World = { running: { web: ["998", "997"], worker: ["998"] }, stopped: 6, clash: true };
  const hosts = ["10.0.0.1", "10.0.0.2"];

  /** The container and image operations of docker commands, one per name, random rename suffixes masked. */
  function commandOperations(commands: readonly string[]): string[] {
    return commands.flatMap((command) => {
      const words = command.replace(/_replaced_[0-9a-f]{16}/g, "_replaced_X").split(" ");
      if (words[0] !== "docker") return [];
      if (words[1] === "rename") return [`rename ${words[2]} ${words[3]}`];
      if (words[1] === "stop") return [`stop ${words.at(-1)}`];
      if (words[1] === "rm" || words[1] === "rmi") return words.slice(2).map((name) => `${words[1]} ${name}`);
      if (words[1] === "tag") return [`tag ${words[2]} ${words[3]}`];
      if (words[1] === "run") return [`run ${words[words.indexOf("--name") + 1]}`];
      return [];
    });
  }

  /** The same operations from the requests a daemon received. */
  function requestOperations(requests: readonly string[]): string[] {
    return requests.flatMap((request) => {
      const [method = "", target = ""] = request.replace(/_replaced_[0-9a-f]{16}/g, "_replaced_X").split(" ");
      const url = new URL(target, "http://docker");
      const path = decodeURIComponent(url.pathname);
      const container = /^\/containers\/([^/]+)/.exec(path)?.[1];
      if (method === "POST" && path === "/containers/create") return [`run ${url.searchParams.get("name")}`];
      if (method === "POST" && path.endsWith("/rename")) return [`rename ${container} ${url.searchParams.get("name")}`];
      if (method === "POST" && path.endsWith("/stop")) return [`stop ${container}`];
      if (method === "DELETE" && container !== undefined) return [`rm ${container}`];
      if (method === "DELETE") return [`rmi ${path.replace(/^\/images\//, "")}`];
      if (method === "POST" && path.endsWith("/tag")) {
        return [`tag ${path.replace(/^\/images\//, "").replace(/\/tag$/, "")} ${url.searchParams.get("repo")}:${url.searchParams.get("tag")}`];
      }
      return [];
    });
  }

  it("reads the state and renames, stops, prunes and tags by requests, to the same effect as the commands", async () => {
    const cli = await harness(CONFIG, { secrets: SECRETS, responder: servers(world) });
    await deploy(cli.run, { skipPush: true, noCache: false });

    const daemons = new Map(await Promise.all(hosts.map(async (host) => [host, await FakeDockerDaemon.start(inspectLines(world))] as const)));
    try {
      const api = await harness(CONFIG, { secrets: SECRETS, responder: servers(world), globals: { verbose: true } });
      const forwarded: string[] = [];
      api.servers.forwardUnixSocket = async (host, remotePath) => {
        forwarded.push(`${host} ${remotePath}`);
        return daemons.get(host)!.socket;
      };
      await deploy(api.run, { skipPush: true, noCache: false });

      expect(forwarded.sort()).toEqual(["10.0.0.1 /var/run/docker.sock", "10.0.0.2 /var/run/docker.sock"]);
      for (const host of hosts) {
        const shell = api.servers.commandsOn(host);
        // The shell ran none of the docker commands the requests stand for…
        expect(commandOperations(shell)).toEqual([]);
        expect(shell.some((command) => command.startsWith('docker inspect --format "{{if index . \\"State\\"}}container|'))).toBe(false);
        // …which did what the commands did on the same host (the rename included: the state read by API saw the clash).
        const expected = commandOperations(cli.servers.commandsOn(host));
        expect(expected).toContain("rename app-web-999 app-web-999_replaced_X");
        expect(requestOperations(daemons.get(host)!.requests).sort()).toEqual(expected.sort());
        // The new containers as the commands would make them: the env file's entries, then the --env ones.
        for (const created of daemons.get(host)!.created) {
          expect(created).toMatchObject({ Image: "registry.example:5000/team/app:999", HostConfig: { NetworkMode: "kamal", RestartPolicy: { Name: "unless-stopped" } } });
          expect((created.Env as string[])[0]).toBe("SECRET_TOKEN=token-3f9c");
          expect(created.Env).toContain('MODE=production');
        }
        // The rest still ran in the shell: the same audit lines.
        const audits = (commands: readonly string[]): string[] => commands.filter((command) => command.includes("app-audit.log")).map((command) => command.replace(/_replaced_[0-9a-f]{16}/g, "")).sort();
        expect(audits(shell)).toEqual(audits(cli.servers.commandsOn(host)));
      }
      // The worker's health polls went as inspects, not as docker processes in the shell.
      expect(daemons.get("10.0.0.2")!.requests).toContain("GET /containers/app-worker-999/json");
      expect(api.servers.commandsOn("10.0.0.2").some((command) => command.includes("xargs docker inspect --format"))).toBe(false);
      // Shown as the commands they stand for, with the requests on the Command line.
      expect(api.stdout.text).toMatch(/Running docker stop app-web-998 on 10\.0\.0\.1/);
      expect(api.stdout.text).toContain("POST /containers/app-web-998/stop (Docker API, over the SSH connection)");
      expect(api.stdout.text).toMatch(/\d+ Docker API requests/);
    } finally {
      await Promise.all([...daemons.values()].map((daemon) => daemon.close()));
    }
  });
});

describe("app boot", () => {
  it("boots in groups of boot.limit hosts, with pre/post-app-boot around each group", async () => {
    const { run, servers: fake } = await harness(`${CONFIG}boot:\n  limit: 1\n`, { secrets: SECRETS, responder: servers() });
    await bootApp(run);
    const runs = fake.recorded.filter((entry) => entry.command.startsWith("docker run --detach"));
    expect(runs.map((entry) => `${entry.host} ${/--name (\S+)/.exec(entry.command)![1]}`)).toEqual([
      "10.0.0.1 app-web-999",
      "10.0.0.2 app-web-999",
      "10.0.0.2 app-worker-999",
    ]);
  });
});

describe("rollback", () => {
  it("names the versions there are when the asked one has no container", async () => {
    const { run } = await harness(CONFIG, {
      secrets: SECRETS,
      version: "111",
      responder: (_host, command) => {
        if (command.includes("'name=^app-web-111$' --quiet") || command.includes("'name=^app-worker-111$' --quiet")) return { stdout: "" };
        if (command.includes("--format '{{ .Names }}'")) return { stdout: "app-web-998\napp-web-997\napp-worker-998\n" };
        return undefined;
      },
    });
    // Per host, the versions every role there can go back to (the worker has no 997), newest first.
    await expect(rollback(run, "111")).rejects.toThrow(
      "The app version '111' is not available as a container (missing for web on 10.0.0.1, web on 10.0.0.2, worker on 10.0.0.2), so nothing was changed. " +
        "Versions available, newest first: on 10.0.0.1: 998, 997; on 10.0.0.2: 998 (see `berth app containers`)",
    );
  });
});

// `upgrade` / `proxy upgrade` against scripted servers in Kamal 1's layout: the order of the
// steps per host (staged proxy and app boot while Traefik serves, then the swap, then the old
// containers stopped and Traefik removed), host by host with --rolling, and what happens when
// the app's boot or the proxy's start fails.
import { describe, expect, it } from "vitest";
import { loadConfigFromSources } from "../../../src/config/index.js";
import { currentVersion, upgrade, upgradeProxy, type UpgradeOptions } from "../../../src/deploy/upgrade.js";
import { harness, secretsOf, type Responder } from "./fake.js";

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
env:
  secret:
    - SECRET_TOKEN
proxy:
  run:
    repository: basecamp/kamal-proxy
builder:
  arch: amd64
readiness_delay: 0
accessories:
  store:
    image: busybox:1
    host: 10.0.0.2
`;

const SECRETS = { REGISTRY_PASSWORD: "registry-pw", SECRET_TOKEN: "token-3f9c" };
const CONTAINER_ID = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
const H1 = "10.0.0.1";
const H2 = "10.0.0.2";

interface World {
  /** Hosts where Traefik runs (default both). */
  traefik?: readonly string[];
  /** Hosts where kamal-proxy runs already. */
  proxy?: readonly string[];
  /** The web version Kamal 1 runs on each host (none: no container). */
  running?: Readonly<Record<string, string | undefined>>;
  /** `kamal-proxy deploy` fails. */
  unhealthy?: boolean;
  /** The proxy can't take ports 80/443. */
  portTaken?: boolean;
}

function servers(world: World): Responder {
  return (host, command) => {
    if (command === "docker ps --quiet --filter 'name=^traefik$'") return (world.traefik ?? [H1, H2]).includes(host) ? { stdout: "7r43f1k\n" } : undefined;
    if (command.startsWith('docker inspect --format "{{if index . \\"State\\"}}container|')) {
      const lines: string[] = [];
      if (world.proxy?.includes(host)) lines.push("container|/kamal-proxy|sha256:ffff|running|2026-01-01T00:00:00Z|basecamp/kamal-proxy:v0.9.2|");
      const version = (world.running ?? { [H1]: "111", [H2]: "111" })[host];
      if (version !== undefined) {
        lines.push(`container|/app-web-${version}|sha256:${version}aaaa|running|2025-06-01T00:00:00Z|registry.example:5000/team/app:${version}|web`);
        lines.push(`image|sha256:${version}aaaa|app|registry.example:5000/team/app:${version} registry.example:5000/team/app:latest `);
      }
      return { stdout: `${lines.join("\n")}\n` };
    }
    if (command.startsWith("docker run --detach --restart unless-stopped --name app-web")) return { stdout: `${CONTAINER_ID}\n` };
    if (command.includes("kamal-proxy deploy") && world.unhealthy) return { code: 1, stderr: "Error: target failed to become healthy within configured timeout (30s)" };
    if (command.startsWith("docker run --name kamal-proxy") && command.includes("--publish") && world.portTaken) {
      return { code: 125, stderr: "docker: Error response from daemon: driver failed programming external connectivity: Bind for 0.0.0.0:80 failed: port is already allocated." };
    }
    return undefined;
  };
}

async function setUp(world: World, globals: Record<string, unknown> = {}) {
  const h = await harness(CONFIG, { secrets: SECRETS, responder: servers(world), globals, command: ["upgrade"] });
  const configFor = async (version: string) =>
    loadConfigFromSources({ base: { file: "config/deploy.yml", text: CONFIG }, cwd: h.run.cwd, env: {}, version, secrets: secretsOf(SECRETS) });
  const options = (rolling: boolean): UpgradeOptions => ({ rolling, confirmed: true, configFor });
  return { ...h, options };
}

/** Position of the first command on the host starting with `prefix` in the whole recording (-1: none). */
function position(recorded: readonly { host: string; command: string }[], host: string, prefix: string): number {
  return recorded.findIndex((entry) => entry.host === host && entry.command.startsWith(prefix));
}

describe("proxy upgrade --rolling", () => {
  it("per host: staged proxy and app boot while Traefik serves, then the swap, then the old container and Traefik go; one host after the other", async () => {
    const { run, servers: fake, stdout, options } = await setUp({});
    await upgradeProxy(run, options(true));
    const at = (host: string, prefix: string): number => position(fake.recorded, host, prefix);
    for (const host of [H1, H2]) {
      const staged = at(host, "docker run --name kamal-proxy --network kamal --detach --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config basecamp/kamal-proxy:v0.9.2 kamal-proxy run");
      expect(at(host, "docker network create kamal")).toBeLessThan(staged);
      // The version Kamal 1 runs, booted again under its name (Kamal 1's container moved aside).
      expect(at(host, "docker rename app-web-111 app-web-111_replaced_")).toBeGreaterThan(staged);
      const appRun = at(host, "docker run --detach --restart unless-stopped --name app-web-111 --network kamal");
      expect(appRun).toBeGreaterThan(at(host, "docker rename app-web-111"));
      const deploy = at(host, 'docker exec kamal-proxy kamal-proxy deploy app-web --target="4e5f6a7b8c9d:80"');
      expect(deploy).toBeGreaterThan(appRun);
      // The swap, in one round trip, after the app passed the staged proxy's health check.
      const stop = fake.recorded.findIndex((entry) => entry.host === host && entry.command === "docker container stop traefik");
      expect(stop).toBeGreaterThan(deploy);
      expect(fake.recorded[stop + 1]).toMatchObject({ command: "docker container rm --force kamal-proxy", roundTrip: fake.recorded[stop]!.roundTrip });
      expect(fake.recorded[stop + 2]!.command).toMatch(/^docker run --name kamal-proxy --network kamal --detach --restart unless-stopped .* --publish 80:80 --publish 443:443 .*basecamp\/kamal-proxy:v0\.9\.2 kamal-proxy run$/);
      expect(fake.recorded[stop + 2]!.roundTrip).toBe(fake.recorded[stop]!.roundTrip);
      // Then Kamal 1's container stopped, Traefik's container and image removed, the app pruned.
      expect(at(host, "docker stop app-web-111_replaced_")).toBeGreaterThan(stop);
      expect(at(host, "docker container prune --force --filter label=org.opencontainers.image.title=Traefik")).toBeGreaterThan(stop);
      expect(at(host, "docker ps -q -a --filter label=service=app --filter status=created")).toBeGreaterThan(stop);
    }
    // Host 2 starts once host 1 is done.
    const lastOnH1 = fake.recorded.findLastIndex((entry) => entry.host === H1 && !entry.command.includes("lock-app"));
    const firstOnH2 = fake.recorded.findIndex((entry) => entry.host === H2);
    expect(firstOnH2).toBeGreaterThan(lastOnH1);
    expect(stdout.text).toContain(`Upgrading proxy on ${H1}...`);
    expect(stdout.text).toContain(`Upgraded proxy on ${H2}`);
    // Under the deploy lock, given back at the end.
    expect(fake.commandsOn(H1).at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    // The secret only in the env file's upload.
    expect(fake.recorded.filter((entry) => entry.command.includes("token-3f9c"))).toEqual([]);
  });

  it("when the app doesn't become healthy in the staged proxy: the staged proxy goes, Traefik is never touched, the next host isn't started", async () => {
    const { run, servers: fake, stdout, options } = await setUp({ unhealthy: true });
    const error = await upgradeProxy(run, options(true)).catch((caught: Error) => caught);
    expect((error as Error).message).toContain("target failed to become healthy");
    const h1 = fake.commandsOn(H1);
    expect(h1).toContain("docker container rm --force kamal-proxy");
    expect(h1).not.toContain("docker container stop traefik");
    expect(h1.some((command) => command.startsWith("docker stop app-web-111"))).toBe(false);
    expect(fake.commandsOn(H2).filter((command) => !command.includes("lock-app"))).toEqual([]);
    expect(stdout.text).toContain(`Traefik still serves on ${H1}, nothing was switched`);
    expect(h1.at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
  });

  it("when the proxy can't take Traefik's ports: Traefik is started again and the error says so", async () => {
    const { run, servers: fake, options } = await setUp({ portTaken: true });
    const error = await upgradeProxy(run, options(true)).catch((caught: Error) => caught);
    expect((error as Error).message).toContain(`kamal-proxy could not take over from Traefik on ${H1}, so Traefik was started again`);
    expect((error as Error).message).toContain("port is already allocated");
    const h1 = fake.commandsOn(H1);
    expect(h1.indexOf("docker container start traefik")).toBeGreaterThan(h1.indexOf("docker container stop traefik"));
    // Kamal 1's container still runs for Traefik to serve.
    expect(h1.some((command) => command.startsWith("docker stop app-web-111"))).toBe(false);
  });
});

describe("proxy upgrade on all hosts at once", () => {
  it("stages and boots every host before any swap; boots latest where no container runs; leaves upgraded hosts alone", async () => {
    const { run, servers: fake, stdout, options } = await setUp({ running: { [H1]: undefined, [H2]: "111" } });
    await upgradeProxy(run, options(false));
    const at = (host: string, prefix: string): number => position(fake.recorded, host, prefix);
    const swaps = [H1, H2].map((host) => at(host, "docker container stop traefik"));
    for (const host of [H1, H2]) expect(at(host, "docker exec kamal-proxy kamal-proxy deploy")).toBeLessThan(Math.min(...swaps));
    expect(at(H1, "docker run --detach --restart unless-stopped --name app-web-latest")).toBeGreaterThan(-1);
    expect(at(H2, "docker run --detach --restart unless-stopped --name app-web-111")).toBeGreaterThan(-1);
    expect(stdout.text).toContain(`Upgrading proxy on ${H1},${H2}...`);

    const again = await setUp({ traefik: [], proxy: [H1, H2] });
    await upgradeProxy(again.run, again.options(false));
    expect(again.stdout.text).toContain(`kamal-proxy already runs on ${H1} and Traefik doesn't: nothing to upgrade there`);
    for (const host of [H1, H2]) {
      expect(again.servers.commandsOn(host).some((command) => command.startsWith("docker run") || command.startsWith("docker container stop"))).toBe(false);
    }
  });
});

describe("upgrade --rolling", () => {
  it("per host: the proxy upgrade where the app runs, then the accessories there rebooted into the kamal network", async () => {
    const { run, servers: fake, stdout, options } = await setUp({});
    await upgrade(run, options(true));
    const text = stdout.text;
    expect(text.indexOf(`Upgrading ${H1}...`)).toBeLessThan(text.indexOf(`Upgraded ${H1}`));
    expect(text.indexOf(`Upgraded ${H1}`)).toBeLessThan(text.indexOf(`Upgrading ${H2}...`));
    const h2 = fake.commandsOn(H2);
    expect(h2.findIndex((command) => command.startsWith("docker run --name app-store"))).toBeGreaterThan(h2.indexOf("docker container stop traefik"));
    expect(fake.commandsOn(H1).some((command) => command.includes("app-store"))).toBe(false);
  });
});

describe("the version to boot", () => {
  it("is the current container's, with a replaced suffix dropped, else latest", async () => {
    const { run } = await setUp({});
    const state = (current: string | undefined) => ({ roles: new Map([["web", { clash: false, current, running: [] }]]) }) as never;
    expect(currentVersion(run, H1, state("111"))).toBe("111");
    expect(currentVersion(run, H1, state("111_replaced_0123456789abcdef"))).toBe("111");
    expect(currentVersion(run, H1, state(undefined))).toBe("latest");
  });
});

import { describe, expect, it } from "vitest";
import { liveApp, maintenanceApp, removeApp, showAppVersion, staleContainers, startApp, stopApp } from "../../../src/deploy/app.js";
import { checkExecOptions, configForVersion, execApp, joinCommand } from "../../../src/deploy/app-exec.js";
import { roundTrips } from "../../../src/deploy/exec-output.js";
import { appLogs, defaultLines } from "../../../src/deploy/logs.js";
import { cmd, withStdin, Redacted } from "../../../src/commands/index.js";
import { harness, type Responder } from "./fake.js";

const TOKEN = "app-secret-token-5a5a";

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
  workers:
    hosts:
      - 10.0.0.2
    cmd: sh /worker.sh
env:
  secret:
    - SECRET_TOKEN
proxy:
  app_port: 80
builder:
  arch: amd64
drain_timeout: 7
`;

const CURRENT = /^sh -c 'docker ps --latest --format '\\''\{\{\.Names\}\}'\\''.*role=(\w+).*\| head -1 \| while read line; do echo \$\{line#app-\w+-\}; done$/;
const CURRENT_ID = /^sh -c 'docker ps --latest --quiet .*role=(\w+)/;

async function setup(responder?: Responder, options: { globals?: Record<string, unknown>; version?: string } = {}) {
  return harness(CONFIG, {
    secrets: { REGISTRY_PASSWORD: "registry-secret", SECRET_TOKEN: TOKEN },
    command: ["app"],
    version: options.version ?? "v2",
    ...(options.globals ? { globals: options.globals } : {}),
    ...(responder ? { responder } : {}),
  });
}

function withoutLock(commands: string[]): string[] {
  return commands.filter((command) => !command.includes("lock-app") && command !== "mkdir -p .kamal" && !command.startsWith("mkdir -p .kamal &&"));
}

describe("app start/stop/live/maintenance", () => {
  it("stop takes proxied roles out of the proxy first, then stops the current container; one round trip per host", async () => {
    const { run, servers } = await setup();
    await stopApp(run);
    expect(withoutLock(servers.commandsOn("10.0.0.1"))).toEqual([
      "docker exec kamal-proxy kamal-proxy remove app-web",
      expect.stringMatching(/^sh -c 'docker ps --latest --quiet .*role=web.* \| head -1 \| xargs docker stop$/),
    ]);
    const host2 = servers.recorded.filter((entry) => entry.host === "10.0.0.2" && !entry.command.includes("lock-app"));
    expect(new Set(host2.map((entry) => entry.roundTrip)).size).toBe(1);
    expect(host2.some((entry) => /role=workers.*xargs docker stop -t 7$/.test(entry.command))).toBe(true);
  });

  it("start starts the configured version and registers the running container with the proxy", async () => {
    const { run, servers } = await setup((_host, command) => (CURRENT_ID.test(command) ? { stdout: "0123456789abcdef\n" } : undefined));
    await startApp(run);
    const commands = withoutLock(servers.commandsOn("10.0.0.1"));
    expect(commands[0]).toBe("docker start app-web-v2");
    expect(commands.at(-1)).toMatch(/^docker exec kamal-proxy kamal-proxy deploy app-web --target="0123456789ab:80"/);
    // The worker is started but never registered.
    expect(servers.commandsOn("10.0.0.2")).toContain("docker start app-workers-v2");
    expect(servers.commandsOn("10.0.0.2").some((command) => command.includes("kamal-proxy deploy app-workers"))).toBe(false);
  });

  it("start fails as Kamal does when no container runs after the start", async () => {
    const { run } = await setup();
    await expect(startApp(run)).rejects.toThrow(/Failed to get endpoint for web on 10\.0\.0\.\d, did the container boot\?/);
  });

  it("maintenance stops the proxied role with the drain timeout and message; live resumes it", async () => {
    const { run, servers } = await setup();
    await maintenanceApp(run, { message: "Back at 5" });
    await liveApp(run);
    const commands = withoutLock(servers.commandsOn("10.0.0.2"));
    expect(commands).toEqual(['docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="7s" --message="Back at 5"', "docker exec kamal-proxy kamal-proxy resume app-web"]);
  });

  it("stale_containers lists running versions other than the current one, and stops them with --stop", async () => {
    const responder: Responder = (_host, command) => {
      if (CURRENT.test(command)) return { stdout: "v2\n" };
      if (command.startsWith("docker ps --filter label=service=app") && command.includes("role=web")) return { stdout: "v2\nv1\n" };
    };
    const listed = await setup(responder);
    await staleContainers(listed.run, { stop: false });
    expect(listed.stdout.text).toContain("App Host: 10.0.0.1\nDetected stale container for role web with version v1 (use `berth app stale_containers --stop` to stop)");
    expect(listed.servers.commandsOn("10.0.0.1").some((command) => command.includes("lock-app"))).toBe(false);

    const stopped = await setup(responder);
    await staleContainers(stopped.run, { stop: true });
    expect(stopped.servers.commandsOn("10.0.0.1")).toContain("docker container ls --all --filter 'name=^app-web-v1$' --quiet | xargs docker stop");
    expect(stopped.servers.commandsOn("10.0.0.1").some((command) => command.startsWith("mkdir .kamal/lock-app"))).toBe(true);
  });

  it("version prints the first role's running version per host", async () => {
    const { run, stdout } = await setup((host, command) => (CURRENT.test(command) ? { stdout: host === "10.0.0.1" ? "v2\n" : "v1\n" } : undefined));
    await showAppVersion(run);
    expect(stdout.text).toContain("App Host: 10.0.0.1\nv2\n\n");
    expect(stdout.text).toContain("App Host: 10.0.0.2\nv1\n\n");
  });

  it("remove stops, then removes containers, images and directories in one round trip per host", async () => {
    const { run, servers } = await setup();
    await removeApp(run);
    const commands = withoutLock(servers.commandsOn("10.0.0.1"));
    expect(commands.slice(2)).toEqual([
      "docker container prune --force --filter label=service=app --filter label=destination= --filter label=role=web",
      "docker image prune --all --force --filter label=service=app",
      "rm -r .kamal/apps/app",
      "rm -r .kamal/proxy/apps-config/app",
    ]);
  });
});

describe("app exec", () => {
  it("refuses Kamal's incompatible options before connecting", () => {
    expect(() => checkExecOptions({ command: ["ls"], interactive: true, reuse: false, detach: true, raw: false })).toThrow("Detach is not compatible with interactive");
    expect(() => checkExecOptions({ command: ["ls"], interactive: true, reuse: true, detach: true, raw: false })).toThrow("Detach is not compatible with interactive or reuse");
    expect(() => checkExecOptions({ command: ["ls"], interactive: true, reuse: false, detach: false, raw: true })).toThrow("Raw is not compatible with interactive");
    expect(() => checkExecOptions({ command: [], interactive: false, reuse: false, detach: false, raw: false })).toThrow("No command provided. You must specify a command to execute.");
    expect(joinCommand([" bin/rails ", "db:migrate "])).toBe("bin/rails db:migrate");
  });

  it("a new container of the latest image gets the role's env file (secrets) uploaded first, per role", async () => {
    const { run, servers, stdout } = await setup((host, command) => (command.startsWith("docker run --rm") ? { stdout: `out ${host}\n` } : undefined));
    await execApp(run, { command: ["printenv", "SECRET_TOKEN"], interactive: false, reuse: false, detach: false, raw: false, env: { DEBUG: "1" } });
    expect(stdout.text).toContain("Get most recent version available as an image...");
    expect(stdout.text).toContain("Launching command with version latest from new container...");
    const entries = servers.recorded.filter((entry) => entry.host === "10.0.0.2");
    const uploads = entries.filter((entry) => entry.command.includes("berth-upload"));
    expect(uploads.map((entry) => entry.stdin)).toEqual([`SECRET_TOKEN=${TOKEN}\n`, `SECRET_TOKEN=${TOKEN}\n`]);
    const runs = entries.filter((entry) => entry.command.startsWith("docker run --rm"));
    expect(runs.map((entry) => entry.command.split(" ")[4])).toEqual([expect.stringMatching(/^app-web-exec-latest-[0-9a-f]{6}$/), expect.stringMatching(/^app-workers-exec-latest-[0-9a-f]{6}$/)]);
    expect(runs[0]!.command).toContain('--env-file .kamal/apps/app/env/roles/web.env --env DEBUG="1"');
    expect(runs[0]!.command).toMatch(/registry\.example:5000\/team\/app:latest printenv SECRET_TOKEN$/);
    // The env file travels with the command; the login (its own stdin) the round trip before.
    const login = entries.find((entry) => entry.command.startsWith("docker login"))!;
    expect(uploads[0]!.roundTrip).toBe(runs[0]!.roundTrip);
    expect(login.roundTrip).toBeLessThan(uploads[0]!.roundTrip);
    expect(stdout.text).toContain("App Host: 10.0.0.2\nout 10.0.0.2\n");
    expect(servers.recorded.some((entry) => entry.command.includes(TOKEN))).toBe(false);
  });

  it("--reuse runs in the running container of the version found on the primary host", async () => {
    const { run, servers, stdout } = await setup((_host, command) => (CURRENT.test(command) ? { stdout: "v1\n" } : undefined));
    await execApp(run, { command: ["ls"], interactive: false, reuse: true, detach: false, raw: false, env: undefined });
    expect(stdout.text).toContain("Launching command with version v1 from existing container...");
    expect(servers.commandsOn("10.0.0.2")).toContain("docker exec app-workers-v1 ls");
    expect(servers.commandsOn("10.0.0.2").some((command) => command.includes("berth-upload"))).toBe(false);
  });

  it("--raw writes the bytes alone, host by host", async () => {
    const { run, stdout } = await setup((host, command) => (command.startsWith("docker exec") ? { stdout: `bytes-${host}\n` } : undefined), { globals: { version: "v3" } });
    const chunks: Buffer[] = [];
    await execApp(run, { command: ["cat", "x"], interactive: false, reuse: true, detach: false, raw: true, env: undefined, rawOutput: (chunk) => chunks.push(chunk) });
    expect(Buffer.concat(chunks).toString()).toBe("bytes-10.0.0.1\nbytes-10.0.0.2\nbytes-10.0.0.2\n");
    expect(stdout.text).not.toContain("Launching");
  });

  it("-i runs over ssh -t on the primary host with the terminal, after the env file is in place", async () => {
    const { run, servers } = await setup();
    const spawned: string[][] = [];
    (run as unknown as { interactiveCommand: (host: string, command: { parts: unknown[] }) => Promise<{ command: string; args: string[] }> }).interactiveCommand = async (host, command) => ({
      command: "ssh",
      args: ["-t", host, command.parts.join(" ")],
    });
    await execApp(run, { command: ["sh"], interactive: true, reuse: false, detach: false, raw: false, env: undefined, terminal: true, spawner: async (command, args) => (spawned.push([command, ...args]), 0) });
    expect(spawned).toHaveLength(1);
    expect(spawned[0]!.slice(0, 3)).toEqual(["ssh", "-t", "10.0.0.1"]);
    expect(spawned[0]![3]).toMatch(/^docker run -it --rm --name app-web-exec-latest-[0-9a-f]{6} .* registry\.example:5000\/team\/app:latest sh$/);
    expect(servers.commandsOn("10.0.0.1").some((command) => command.includes("berth-upload") && command.includes("web.env"))).toBe(true);
  });

  it("configForVersion changes the image and names, nothing else", async () => {
    const { run } = await setup();
    const latest = configForVersion(run.config, "latest");
    expect(latest.absoluteImage).toBe("registry.example:5000/team/app:latest");
    expect(latest.service).toBe("app");
    expect(run.config.version).toBe("v2");
  });

  it("cuts steps into round trips with one standard input each", () => {
    const secret = (name: string) => ({ command: withStdin(cmd("cat"), new Redacted(name)), label: name });
    const plain = (name: string) => ({ command: cmd("echo", name), label: name });
    expect(roundTrips([secret("a"), plain("b"), secret("c"), plain("d")]).map((round) => round.map((step) => step.label))).toEqual([["a", "b"], ["c", "d"]]);
  });
});

describe("app logs", () => {
  it("defaults to 100 lines (10 when following), none with --since or --grep", () => {
    expect(defaultLines({}, false)).toBe(100);
    expect(defaultLines({}, true)).toBe(10);
    expect(defaultLines({ grep: "x" }, false)).toBeUndefined();
    expect(defaultLines({ since: "5m" }, true)).toBeUndefined();
    expect(defaultLines({ lines: 3 }, false)).toBe(3);
    expect(() => defaultLines({ lines: -1 }, false)).toThrow("--lines must be a whole number");
  });

  it("prints each role's last lines per host; a failed pipeline is 'Nothing found'", async () => {
    const { run, servers, stdout } = await setup((host, command) => {
      if (host === "10.0.0.2" && command.includes("role=workers")) return { code: 1 };
      if (command.includes("xargs docker logs")) return { stdout: `log ${host}\n` };
    });
    await appLogs(run, { follow: false, skipTimestamps: false, lines: 5 });
    expect(servers.commandsOn("10.0.0.1").at(-1)).toMatch(/\| xargs docker logs --timestamps --tail 5 2>&1$/);
    expect(stdout.text).toContain("App Host: 10.0.0.1\nlog 10.0.0.1\n");
    expect(stdout.text).toContain("App Host: 10.0.0.2\nNothing found\n");
  });

  it("-f follows the primary role on the primary host (streamed without a terminal)", async () => {
    const { run, servers, stdout } = await setup((_host, command) => (command.includes("--follow") ? { stdout: "followed\n" } : undefined));
    await appLogs(run, { follow: true, skipTimestamps: false, grep: "GET", terminal: false });
    expect(stdout.text).toContain("Following logs on 10.0.0.1...");
    expect(servers.commandsOn("10.0.0.1")).toEqual([expect.stringMatching(/role=web.*\| xargs docker logs --timestamps --follow 2>&1 \| grep "GET"$/)]);
    expect(servers.commandsOn("10.0.0.2")).toEqual([]);
  });
});

// The commands around a deploy, against real servers (two hosts with their own sshd and dockerd,
// the bed's registry, Berth's proxy): `deploy --plan` on fresh servers, accessories (files, a
// directory, a volume, secrets), `app exec` (new container, --reuse, --raw, secrets),
// maintenance/live, stop/start, logs, version, registry login, server exec, details, audit and
// an alias. Host 1 runs the web role and the accessory, host 2 the web role.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CleanupRegistry } from "../../src/cli/cleanup.js";
import { createContext } from "../../src/cli/context.js";
import { DEFAULT_GLOBAL_OPTIONS } from "../../src/core/context.js";
import { loadConfiguration } from "../../src/cli/layers/config.js";
import { runCli } from "../../src/cli/main.js";
import { execApp } from "../../src/deploy/app-exec.js";
import type { Spawner } from "../../src/deploy/interactive.js";
import { appLogs } from "../../src/deploy/logs.js";
import { Run } from "../../src/deploy/run.js";
import { execOnServers } from "../../src/deploy/server-exec.js";
import { Output } from "../../src/output/index.js";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { MemoryStream } from "../unit/output/streams.js";
import { REGISTRY_PASSWORD, SECRET, berth, createProject, httpGet, sh, type Project } from "./support/project.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let version: string;

// This file's own image (not the shared helper's), so its paths are known here.
const DOCKERFILE = `FROM berth-test/busybox:1
COPY start.sh release.txt /srv/
CMD ["sh", "/srv/start.sh"]
`;

const START = `#!/bin/sh
mkdir -p /www
echo "$KAMAL_VERSION" > /www/version
cp /srv/release.txt /www/release
echo ok > /www/up
for i in 1 2 3 4 5; do echo "log line $i"; done
trap 'exit 0' TERM INT
httpd -f -p 80 -h /www &
wait
`;

function extra(bedRegistry: string, accessoryHost: TestHost): string {
  return `accessories:
  store:
    image: ${bedRegistry}/berth-test/busybox:1
    host: ${accessoryHost.ip}
    cmd: sh -c 'echo store started; trap "exit 0" TERM; while true; do sleep 1; done'
    env:
      clear:
        STORE_NAME: main
      secret:
        - SECRET_TOKEN
    files:
      - local: config/store.conf.erb
        remote: /etc/store/store.conf
        mode: "0640"
        owner: "1000:1000"
    directories:
      - data:/data
    volumes:
      - store-volume:/volume
aliases:
  on-servers: server exec
`;
}

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "server-commands-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2] }, extra: extra(bed.registry, h1) });
  version = project.release("v1", { Dockerfile: DOCKERFILE, "start.sh": START, "config/store.conf.erb": 'name=<%= ENV["STORE_NAME"] %>\ntoken=<%= ENV["SECRET_TOKEN"] %>\n' });
});

afterAll(async () => {
  await bed?.stop();
});

/** What a plan must not change: containers, images, volumes and Berth's files on a host. */
async function hostState(host: TestHost): Promise<string> {
  return sh(host, "docker ps -a -q | sort; echo --; docker images -q | sort; echo --; docker volume ls -q | sort; echo --; ls -A /root");
}

/** `berth` with standard output kept as bytes (for --raw). */
async function berthBytes(args: readonly string[]): Promise<{ code: number; bytes: Buffer; stderr: string }> {
  const chunks: Buffer[] = [];
  const stdout = { write: (chunk: string | Uint8Array) => (chunks.push(Buffer.from(chunk)), true) };
  const stderr = new MemoryStream();
  const code = await runCli(args, {
    stdout: stdout as never,
    stderr,
    cwd: project.dir,
    env: { ...process.env, DOCKER_CONFIG: project.dockerConfig, BERTH_PROXY_BASE_IMAGE: "berth-test/node:20", CI: "true", VERSION: "" },
  });
  return { code, bytes: Buffer.concat(chunks), stderr: stderr.text };
}

function md5(data: Buffer | string): string {
  return createHash("md5").update(data).digest("hex");
}

/** Every process's command line on this machine, the test hosts' included (their PID namespaces are children of ours). */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(join("/proc", pid, "cmdline"), "latin1"));
    } catch {
      // gone
    }
  }
  return lines;
}

describe("deploy --plan", () => {
  it("prints every phase's commands per host, changes nothing on fresh servers and never prints a secret", async () => {
    const before = await Promise.all([hostState(h1), hostState(h2)]);
    const result = await berth(project, ["setup", "--plan"]);
    expect(result.code, result.output).toBe(0);
    const text = result.stdout;
    expect(text).toContain(`Plan for berth setup, version ${version}: nothing was run on the servers.`);
    for (const phase of ["Ensure Docker is installed...", "Build and push app image...", "Acquiring the deploy lock...", "Ensure kamal-proxy is running...", "Prune old containers and images..."]) {
      expect(text).toContain(phase);
    }
    expect(text).toContain(`docker run --detach --restart unless-stopped --name app-web-${version}`);
    expect(text).toContain("docker run --name app-store --detach");
    expect(text).toContain("upload to .kamal/apps/app/env/roles/web.env (mode 0600, content on stdin)");
    expect(text).toMatch(new RegExp(`\\n  ${h2.ip.replace(/\./g, "\\.")}\\n`));
    expect(result.output).not.toContain(SECRET);
    expect(result.output).not.toContain(REGISTRY_PASSWORD);

    const json = await berth(project, ["deploy", "--plan", "--output", "json"]);
    expect(json.code, json.output).toBe(0);
    const plan = (JSON.parse(json.stdout.trim()) as { plan: { command: string; phases: { title: string }[]; roundTrips: Record<string, number> } }).plan;
    expect(plan.command).toBe("deploy");
    expect(Object.keys(plan.roundTrips)).toEqual(expect.arrayContaining([h1.ip, h2.ip, "localhost"]));

    expect(await Promise.all([hostState(h1), hostState(h2)])).toEqual(before);
    expect((await h1.exec("test -e /root/.kamal")).code).not.toBe(0);
  });
});

describe("accessories", () => {
  it("setup boots the accessory with its file (mode, owner, rendered ERB), directory, volume and 0600 env file", async () => {
    const result = await berth(project, ["setup"]);
    expect(result.code, result.output).toBe(0);
    expect(await sh(h1, "stat -c '%a %u:%g' /root/app-store/etc/store/store.conf")).toBe("640 1000:1000");
    expect(await sh(h1, "cat /root/app-store/etc/store/store.conf")).toBe(`name=main\ntoken=${SECRET}`);
    expect(await sh(h1, "test -d /root/app-store/data && echo dir")).toBe("dir");
    expect(await sh(h1, "docker volume ls -q --filter name=store-volume")).toBe("store-volume");
    expect(await sh(h1, "stat -c %a /root/.kamal/apps/app/env/accessories/store.env")).toBe("600");
    expect(await sh(h1, "cat /root/.kamal/apps/app/env/accessories/store.env")).toBe(`SECRET_TOKEN=${SECRET}`);
    expect(await sh(h1, "docker exec app-store sh -c 'echo $STORE_NAME $SECRET_TOKEN; cat /etc/store/store.conf | head -1'")).toBe(`main ${SECRET}\nname=main`);
    expect(await sh(h1, "docker inspect -f '{{.State.Running}}' app-store")).toBe("true");
    expect(await sh(h2, "docker ps -a -q --filter label=service=app-store")).toBe("");
    expect(result.output).not.toContain(SECRET);
  });

  it("boot again skips the host with Kamal's message", async () => {
    const result = await berth(project, ["accessory", "boot", "store"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Skipping booting \`store\` on ${h1.ip}, a container already exists`);
  });

  it("stop, start, restart and logs", async () => {
    expect((await berth(project, ["accessory", "stop", "store"])).code).toBe(0);
    expect(await sh(h1, "docker inspect -f '{{.State.Running}}' app-store")).toBe("false");
    expect((await berth(project, ["accessory", "start", "store"])).code).toBe(0);
    expect(await sh(h1, "docker inspect -f '{{.State.Running}}' app-store")).toBe("true");
    const started = await sh(h1, "docker inspect -f '{{.State.StartedAt}}' app-store");
    const restart = await berth(project, ["accessory", "restart", "store"]);
    expect(restart.code, restart.output).toBe(0);
    expect(await sh(h1, "docker inspect -f '{{.State.Running}}' app-store")).toBe("true");
    expect(await sh(h1, "docker inspect -f '{{.State.StartedAt}}' app-store")).not.toBe(started);
    const logs = await berth(project, ["accessory", "logs", "store", "-T"]);
    expect(logs.code, logs.output).toBe(0);
    expect(logs.stdout).toMatch(/^store started$/m);
  });

  it("exec runs in a new container with the accessory's env, or in the running one with --reuse", async () => {
    const fresh = await berth(project, ["accessory", "exec", "store", "sh -c 'echo $STORE_NAME; ls /etc/store'"]);
    expect(fresh.code, fresh.output).toBe(0);
    expect(fresh.stdout).toContain(`App Host: ${h1.ip}\nmain\nstore.conf`);
    await sh(h1, "docker exec app-store touch /tmp/marker");
    const reused = await berth(project, ["accessory", "exec", "store", "--reuse", "ls /tmp/marker"]);
    expect(reused.code, reused.output).toBe(0);
    expect(reused.stdout).toContain("/tmp/marker");
  });
});

describe("app exec", () => {
  it("runs in a new container on every host and prints the output by host", async () => {
    const result = await berth(project, ["app", "exec", "cat /srv/release.txt"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("Launching command with version latest from new container...");
    expect(result.stdout).toContain(`App Host: ${h1.ip}\nv1\n`);
    expect(result.stdout).toContain(`App Host: ${h2.ip}\nv1\n`);
  });

  it("a new container sees the role's secret even when its env file is gone from the host (basecamp/kamal#1180)", async () => {
    await sh(h2, "rm /root/.kamal/apps/app/env/roles/web.env");
    const result = await berth(project, ["app", "exec", "-h", h2.ip, "sh -c 'printf %s \"$SECRET_TOKEN\" | md5sum'"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(md5(SECRET));
    expect(await sh(h2, "stat -c %a /root/.kamal/apps/app/env/roles/web.env")).toBe("600");
    expect(result.output).not.toContain(SECRET);
  });

  it("--reuse runs in the running container of the current version", async () => {
    await sh(h1, `docker exec app-web-${version} touch /tmp/reused`);
    const result = await berth(project, ["app", "exec", "--reuse", "-h", h1.ip, "ls /tmp/reused"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Launching command with version ${version} from existing container...`);
    expect(result.stdout).toContain(`App Host: ${h1.ip}\n/tmp/reused`);
  });

  it("--raw pipes the bytes unchanged", async () => {
    await sh(h1, `docker exec app-web-${version} sh -c 'head -c 200000 /dev/urandom > /tmp/blob'`);
    const expected = (await sh(h1, `docker exec app-web-${version} md5sum /tmp/blob`)).split(" ")[0];
    const result = await berthBytes(["app", "exec", "--reuse", "--raw", "-p", "cat /tmp/blob"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.bytes.length).toBe(200000);
    expect(md5(result.bytes)).toBe(expected);
  });
});

describe("app maintenance, stop/start, logs, version", () => {
  it("maintenance answers 503 with the message through the proxy; live serves again", async () => {
    const down = await berth(project, ["app", "maintenance", "--message", "Back at five"]);
    expect(down.code, down.output).toBe(0);
    for (const host of [h1, h2]) {
      const response = await httpGet(host, "/version");
      expect(response.status).toBe(503);
      expect(response.body).toContain("Back at five");
    }
    const up = await berth(project, ["app", "live"]);
    expect(up.code, up.output).toBe(0);
    for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: version });
  });

  it("stop leaves the proxy without the app (404); start serves it again", async () => {
    const stop = await berth(project, ["app", "stop"]);
    expect(stop.code, stop.output).toBe(0);
    expect((await httpGet(h1, "/version")).status).toBe(404);
    expect(await sh(h1, "docker ps -q --filter label=service=app --filter label=role=web")).toBe("");
    const start = await berth(project, ["app", "start"], { VERSION: version });
    expect(start.code, start.output).toBe(0);
    for (const host of [h1, h2]) expect(await httpGet(host, "/version")).toEqual({ status: 200, body: version });
  });

  it("logs -n shows that many lines per host; version shows the running version", async () => {
    const logs = await berth(project, ["app", "logs", "-n", "2", "-T"]);
    expect(logs.code, logs.output).toBe(0);
    for (const host of [h1, h2]) {
      const block = logs.stdout.split(`App Host: ${host.ip}\n`)[1]!.split("\n\n")[0]!;
      expect(block.split("\n")).toEqual(["log line 4", "log line 5"]);
    }
    const current = await berth(project, ["app", "version"]);
    expect(current.code, current.output).toBe(0);
    expect(current.stdout).toContain(`App Host: ${h1.ip}\n${version}\n`);
    expect(current.stdout).toContain(`App Host: ${h2.ip}\n${version}\n`);
  });
});

describe("registry, server exec, details, audit, aliases", () => {
  it("registry login never puts the password in a process's arguments, here or on the hosts", async () => {
    const seen = new Set<string>();
    let scanning = true;
    const scanner = (async () => {
      while (scanning) {
        for (const line of commandLines()) if (line.includes("docker") && line.includes("login")) seen.add(line);
        for (const line of commandLines()) if (line.includes(REGISTRY_PASSWORD)) seen.add(`LEAK ${line}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const result = await berth(project, ["registry", "login", "-v"]);
    scanning = false;
    await scanner;
    expect(result.code, result.output).toBe(0);
    expect([...seen].filter((line) => line.startsWith("LEAK"))).toEqual([]);
    expect(seen.size).toBeGreaterThan(0); // the scan did see the logins run
    expect(result.stdout).toContain(`docker login ${bed.registry} -u [REDACTED] --password-stdin`);
    expect(result.output).not.toContain(REGISTRY_PASSWORD);
    // The login did happen on both hosts (docker keeps the session in the host's config).
    for (const host of [h1, h2]) expect(await sh(host, "cat /root/.docker/config.json")).toContain(bed.registry);
  });

  it("server exec runs on both hosts; an alias runs it with the extra words appended", async () => {
    const result = await berth(project, ["server", "exec", "hostname"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Running 'hostname' on ${h1.ip}, ${h2.ip}...`);
    expect(result.stdout).toContain(`App Host: ${h1.ip}\nberth-h1\n`);
    expect(result.stdout).toContain(`App Host: ${h2.ip}\nberth-h2\n`);
    const alias = await berth(project, ["on-servers", "uname", "-n"]);
    expect(alias.code, alias.output).toBe(0);
    expect(alias.stdout).toContain(`App Host: ${h2.ip}\nberth-h2\n`);
  });

  it("details lists the proxy, app and accessory containers; audit shows what was done", async () => {
    const details = await berth(project, ["details"]);
    expect(details.code, details.output).toBe(0);
    expect(details.stdout).toMatch(new RegExp(`Proxy Host: ${h1.ip}\\nCONTAINER ID[^\\n]*\\n[^\\n]*kamal-proxy`));
    expect(details.stdout).toMatch(new RegExp(`App Host: ${h2.ip}\\nCONTAINER ID[^\\n]*\\n[^\\n]*app-web-${version}`));
    expect(details.stdout).toMatch(new RegExp(`Accessory store Host: ${h1.ip}\\nCONTAINER ID[^\\n]*\\n[^\\n]*app-store`));
    const audit = await berth(project, ["audit"]);
    expect(audit.code, audit.output).toBe(0);
    const h1Audit = audit.stdout.split(`App Host: ${h1.ip}\n`)[1]!;
    expect(h1Audit).toContain("Booted store accessory");
    expect(h1Audit).toContain("Executed cmd 'hostname' on");
    expect(audit.stdout).toContain(`App Host: ${h2.ip}\n`);
  });
});

/** A Run for the project as the CLI would make it, for calling the interactive paths with a spawner. */
async function projectRun(args: string[]): Promise<Run> {
  const env = { ...process.env, DOCKER_CONFIG: project.dockerConfig, CI: "true", VERSION: "" };
  const output = new Output({ stdout: new MemoryStream(), stderr: new MemoryStream() });
  const context = createContext({
    globals: DEFAULT_GLOBAL_OPTIONS,
    output,
    cwd: project.dir,
    env,
    commandPath: args,
    cleanup,
    loadConfiguration: () =>
      loadConfiguration({ configFile: "config/deploy.yml", destination: undefined, version: undefined, cwd: project.dir, env, onSecrets: (values) => output.registerSecrets(values) }),
  });
  return Run.create(context);
}

/** Runs the ssh line Berth hands to the terminal, without one (ssh -t then warns and carries on). */
function capture(into: string[], stopAfterMs?: number): Spawner {
  return (command, args) =>
    new Promise((resolve) => {
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.on("data", (chunk: Buffer) => into.push(chunk.toString()));
      if (stopAfterMs !== undefined) setTimeout(() => child.kill("SIGTERM"), stopAfterMs);
      child.on("exit", (code) => resolve(code ?? 0));
    });
}

const cleanup = new CleanupRegistry();

describe("interactive commands over ssh -t on the run's shared connection", () => {
  afterAll(async () => {
    await cleanup.run();
  });

  it("server exec -i and app exec -i run on the primary host", async () => {
    const server: string[] = [];
    await execOnServers(await projectRun(["server", "exec"]), { command: ["uname -n"], interactive: true, raw: false, spawner: capture(server) });
    expect(server.join("").trim()).toBe("berth-h1");
    const app: string[] = [];
    const run = await projectRun(["app", "exec"]);
    await execApp(run, { command: ["cat /srv/release.txt"], interactive: true, reuse: false, detach: false, raw: false, env: undefined, terminal: false, spawner: capture(app) });
    expect(app.join("").trim()).toBe("v1");
  });

  it("logs -f follows the primary host's web container", async () => {
    const lines: string[] = [];
    const run = await projectRun(["app", "logs"]);
    await appLogs(run, { follow: true, skipTimestamps: true, terminal: true, spawner: capture(lines, 3000) }).catch(() => undefined);
    expect(lines.join("")).toContain("log line 5");
  });
});

describe("accessory remove", () => {
  it("remove -y leaves nothing behind: container, image, files, data, env file, volume", async () => {
    const result = await berth(project, ["accessory", "remove", "store", "-y"]);
    expect(result.code, result.output).toBe(0);
    expect(await sh(h1, "docker ps -a -q --filter label=service=app-store")).toBe("");
    expect(await sh(h1, `docker images -q ${bed.registry}/berth-test/busybox:1`)).toBe("");
    expect((await h1.exec("test -e /root/app-store")).code).not.toBe(0);
    expect((await h1.exec("test -e /root/.kamal/apps/app/env/accessories/store.env")).code).not.toBe(0);
    expect(await sh(h1, "docker volume ls -q --filter name=store-volume")).toBe("");
    // The app is untouched.
    expect(await httpGet(h1, "/version")).toEqual({ status: 200, body: version });
  });
});

import { describe, expect, it } from "vitest";
import { showAudit, showDetails } from "../../../src/deploy/details.js";
import { loginRegistry, logoutRegistry, removeRegistry, setupRegistry } from "../../../src/deploy/registry.js";
import { execOnServers } from "../../../src/deploy/server-exec.js";
import { rawContext } from "../../../src/deploy/raw.js";
import { proxyLogs } from "../../../src/deploy/logs.js";
import { createContext } from "../../../src/cli/context.js";
import { CleanupRegistry } from "../../../src/cli/cleanup.js";
import { DEFAULT_GLOBAL_OPTIONS } from "../../../src/core/context.js";
import { Output } from "../../../src/output/index.js";
import { MemoryStream } from "../output/streams.js";
import { BASE_CONFIG, harness, type Responder } from "./fake.js";

const PASSWORD = "registry-pass-31337";
const ACCESSORY = `${BASE_CONFIG}proxy:
  app_port: 3000
accessories:
  redis:
    image: redis:7
    host: 10.0.0.2
`;

async function setup(yaml = BASE_CONFIG, responder?: Responder, globals = {}) {
  return harness(yaml, { secrets: { REGISTRY_PASSWORD: PASSWORD }, command: ["registry"], globals, ...(responder ? { responder } : {}) });
}

describe("registry", () => {
  it("login logs in here and on every host, the password only on standard input", async () => {
    const { run, servers, local } = await setup();
    await loginRegistry(run, { skipLocal: false, skipRemote: false });
    expect(local.recorded.map((entry) => entry.command)).toEqual(["docker --version", "docker login registry.example:5000 -u \"deployer\" --password-stdin"]);
    for (const host of ["10.0.0.1", "10.0.0.2"]) {
      const login = servers.recorded.find((entry) => entry.host === host)!;
      expect(login.shown).toBe("docker login registry.example:5000 -u [REDACTED] --password-stdin");
      expect(login.stdin).toBe(PASSWORD);
      expect(login.command).not.toContain(PASSWORD);
    }
  });

  it("-L skips this machine, -R the hosts", async () => {
    const remoteOnly = await setup();
    await setupRegistry(remoteOnly.run, { skipLocal: true, skipRemote: false });
    expect(remoteOnly.local.recorded).toEqual([]);
    expect(remoteOnly.servers.recorded).toHaveLength(2);
    const localOnly = await setup();
    await removeRegistry(localOnly.run, { skipLocal: false, skipRemote: true });
    expect(localOnly.local.recorded.map((entry) => entry.command)).toEqual(["docker logout registry.example:5000"]);
    expect(localOnly.servers.recorded).toEqual([]);
  });

  it("a local registry needs no container (Berth serves its images), remove clears Kamal's, and login/logout refuse it as Kamal does", async () => {
    const yaml = BASE_CONFIG.replace("server: registry.example:5000", "server: localhost:5555");
    const { run, local, servers, stdout } = await setup(yaml);
    await setupRegistry(run, { skipLocal: false, skipRemote: false });
    expect(local.recorded.map((entry) => entry.command)).not.toContain("docker start kamal-docker-registry || docker run --detach -p 127.0.0.1:5555:5000 --name kamal-docker-registry registry:3");
    expect(stdout.text).toContain("Nothing to set up: Berth serves the images of localhost:5555 to the hosts itself");
    expect(servers.recorded).toEqual([]);
    await removeRegistry(run, { skipLocal: false, skipRemote: false });
    expect(local.recorded.at(-1)?.command).toBe("docker stop kamal-docker-registry && docker rm kamal-docker-registry");
    await expect(loginRegistry(run, { skipLocal: false, skipRemote: false })).rejects.toThrow("Cannot use login command with a local registry. Use `berth registry setup` instead.");
    await expect(logoutRegistry(run, { skipLocal: false, skipRemote: false })).rejects.toThrow("Cannot use logout command with a local registry. Use `berth registry remove` instead.");
  });
});

describe("server exec", () => {
  it("runs the command as typed on every host, with an audit line, and prints it by host", async () => {
    const { run, servers, stdout } = await setup(BASE_CONFIG, (host, command) => (command === "uname -n && echo $HOME" ? { stdout: `${host}\n/root\n` } : undefined));
    await execOnServers(run, { command: ["uname -n", "&&", "echo", "$HOME"], interactive: false, raw: false });
    expect(stdout.text).toContain("Running 'uname -n && echo $HOME' on 10.0.0.1, 10.0.0.2...");
    expect(stdout.text).toContain("App Host: 10.0.0.1\n10.0.0.1\n/root\n\n");
    expect(stdout.text).toContain("App Host: 10.0.0.2\n10.0.0.2\n/root\n\n");
    expect(servers.commandsOn("10.0.0.2")[0]).toMatch(/^mkdir -p \.kamal && echo ".*Executed cmd 'uname -n && echo \\\$HOME' on 10\.0\.0\.2" >> \.kamal\/app-audit\.log$/);
  });

  it("--raw streams one host's bytes unchanged and prints nothing else", async () => {
    const { run, stdout } = await setup(BASE_CONFIG, (_host, command) => (command === "cat f" ? { stdout: "a\r\nb" } : undefined), { hosts: ["10.0.0.2"] });
    const chunks: Buffer[] = [];
    await execOnServers(run, { command: ["cat f"], interactive: false, raw: true, rawOutput: (chunk) => chunks.push(chunk) });
    expect(Buffer.concat(chunks).toString()).toBe("a\r\nb");
    expect(stdout.text).not.toContain("Running 'cat f'"); // no heading (the command lines go to the quiet output of rawContext)
    expect(stdout.text).not.toContain("App Host");
  });
});

describe("details, audit, proxy logs", () => {
  it("details shows the proxy, the app and every accessory", async () => {
    const { run, stdout } = await setup(ACCESSORY, (host, command) => {
      if (command.startsWith("docker ps --filter 'name=^kamal-proxy$'")) return { stdout: `proxy on ${host}\n` };
      if (command.startsWith("docker ps --filter label=service=app --filter label=destination=")) return { stdout: `app on ${host}\n` };
      if (command.startsWith("docker ps --filter label=service=app-redis")) return { stdout: `redis on ${host}\n` };
    });
    await showDetails(run);
    const text = stdout.text;
    expect(text.indexOf("Proxy Host: 10.0.0.1\nproxy on 10.0.0.1")).toBeGreaterThan(-1);
    expect(text.indexOf("App Host: 10.0.0.2\napp on 10.0.0.2")).toBeGreaterThan(text.indexOf("Proxy Host: 10.0.0.2"));
    expect(text.indexOf("Accessory redis Host: 10.0.0.2\nredis on 10.0.0.2")).toBeGreaterThan(text.indexOf("App Host: 10.0.0.2"));
  });

  it("audit tails the audit log on every host", async () => {
    const { run, servers, stdout } = await setup(BASE_CONFIG, (host) => ({ stdout: `[2026] line on ${host}\n` }));
    await showAudit(run);
    expect(servers.commandsOn("10.0.0.1")).toEqual(["tail -n 50 .kamal/app-audit.log"]);
    expect(stdout.text).toContain("App Host: 10.0.0.2\n[2026] line on 10.0.0.2\n");
  });

  it("proxy logs read every proxy host under `Proxy Host:`", async () => {
    const { run, servers, stdout } = await setup(ACCESSORY, (host) => ({ stdout: `proxy log ${host}\n` }));
    await proxyLogs(run, { follow: false, skipTimestamps: true, since: "5m" });
    expect(servers.commandsOn("10.0.0.1")).toEqual(["docker logs kamal-proxy --since 5m 2>&1"]);
    expect(stdout.text).toContain("Proxy Host: 10.0.0.1\nproxy log 10.0.0.1\n");
  });
});

describe("--raw output", () => {
  it("keeps the command's output quiet: only errors, and not on standard output", async () => {
    const stdout = new MemoryStream();
    const errors = new MemoryStream();
    const context = createContext({
      globals: DEFAULT_GLOBAL_OPTIONS,
      output: new Output({ stdout, stderr: stdout }),
      cwd: "/",
      env: {},
      commandPath: ["server", "exec"],
      cleanup: new CleanupRegistry(),
      loadConfiguration: async () => {
        throw new Error("not needed");
      },
    });
    const raw = rawContext(context, errors);
    raw.output.say("Running 'x' on a...");
    raw.output.info("INFO line");
    raw.output.error("ERROR line");
    expect(stdout.text).toBe("");
    expect(errors.text).not.toContain("INFO line");
    expect(errors.text).toContain("ERROR line");
  });
});

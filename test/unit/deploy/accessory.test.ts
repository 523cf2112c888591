import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bootAccessories,
  removeAccessories,
  restartAccessories,
  showAccessoryDetails,
  upgradeAccessories,
} from "../../../src/deploy/accessory.js";
import { execAccessory } from "../../../src/deploy/accessory-exec.js";
import { accessoryLogs } from "../../../src/deploy/logs.js";
import { toSentence } from "../../../src/deploy/scope.js";
import { harness, type Responder } from "./fake.js";

const DB_PASSWORD = "db-pass-9f8e7d";

function project(): string {
  const cwd = mkdtempSync(join(tmpdir(), "berth-accessory-unit-"));
  mkdirSync(join(cwd, "config"));
  writeFileSync(join(cwd, "config/my.cnf.erb"), "[client]\nuser=<%= ENV['MYSQL_USER'] %>\npassword=<%= ENV['MYSQL_PASSWORD'] %>\n");
  writeFileSync(join(cwd, "config/init.sql"), "CREATE TABLE t (id int);\n");
  return cwd;
}

const CONFIG = `service: app
image: team/app
registry:
  server: registry.example:5000
  username: deployer
  password:
    - REGISTRY_PASSWORD
servers:
  - 10.0.0.1
  - 10.0.0.2
builder:
  arch: amd64
accessories:
  mysql:
    image: mysql:8
    hosts:
      - 10.0.0.1
      - 10.0.0.2
    port: 3306
    env:
      clear:
        MYSQL_USER: app
      secret:
        - MYSQL_PASSWORD:DB_PASSWORD
    files:
      - local: config/my.cnf.erb
        remote: /etc/mysql/my.cnf
        mode: "0640"
        owner: "999:999"
      - config/init.sql:/docker-entrypoint-initdb.d/init.sql
    directories:
      - data:/var/lib/mysql
    volumes:
      - mysql-logs:/var/log/mysql
  cache:
    image: redis:7
    host: 10.0.0.2
`;

async function setup(responder?: Responder, globals = {}) {
  return harness(CONFIG, { cwd: project(), secrets: { REGISTRY_PASSWORD: "registry-secret", DB_PASSWORD }, command: ["accessory", "boot"], globals, ...(responder ? { responder } : {}) });
}

describe("accessory boot", () => {
  it("boots on every host: login, network, existing check and directories first, files through stdin, env file 0600, docker run", async () => {
    const { run, servers } = await setup();
    await bootAccessories(run, "mysql");
    const commands = servers.commandsOn("10.0.0.2");
    const index = (prefix: string): number => commands.findIndex((command) => command.startsWith(prefix));
    expect(index("docker login registry.example:5000 -u")).toBeGreaterThan(-1);
    expect(index("docker network create kamal")).toBeGreaterThan(index("docker login"));
    expect(commands).toContain("docker ps -a -q --filter label=service=app-mysql");
    expect(commands).toContain("mkdir -p $PWD/app-mysql/data");
    expect(index("docker run --name app-mysql --detach")).toBeGreaterThan(index("mkdir -p $PWD/app-mysql/data"));
    // The first four steps travel together.
    const first = servers.recorded.filter((entry) => entry.host === "10.0.0.2" && entry.roundTrip === servers.recorded.find((item) => item.host === "10.0.0.2" && item.command.startsWith("docker login"))!.roundTrip);
    expect(first.map((entry) => entry.command.split(" ").slice(0, 3).join(" "))).toEqual(["docker login registry.example:5000", "docker network create", "docker ps -a", "mkdir -p $PWD/app-mysql/data"]);

    const run2 = commands[index("docker run --name app-mysql")]!;
    expect(run2).toContain("--publish 3306:3306");
    expect(run2).toContain('--env MYSQL_USER="app" --env-file .kamal/apps/app/env/accessories/mysql.env');
    expect(run2).toContain("--volume mysql-logs:/var/log/mysql --volume $PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf");
    expect(run2).not.toContain(DB_PASSWORD);

    const uploads = servers.uploads.filter((upload) => upload.host === "10.0.0.2");
    const cnf = uploads.find((upload) => upload.path === "app-mysql/etc/mysql/my.cnf")!;
    expect(cnf.body).toBe(`[client]\nuser=app\npassword=${DB_PASSWORD}\n`);
    expect(cnf.mode).toBe(0o640);
    expect(uploads.find((upload) => upload.path === "app-mysql/docker-entrypoint-initdb.d/init.sql")?.mode).toBe(0o755);
    const env = servers.recorded.find((entry) => entry.host === "10.0.0.2" && entry.stdin?.includes("MYSQL_PASSWORD="));
    expect(env?.stdin).toBe(`MYSQL_PASSWORD=${DB_PASSWORD}\n`);
    expect(env?.command).toMatch(/berth-upload '?\.kamal\/apps\/app\/env\/accessories\/mysql\.env'? 0600/);
    // Nothing secret in any command line.
    expect(servers.recorded.some((entry) => entry.command.includes(DB_PASSWORD) || entry.command.includes("registry-secret"))).toBe(false);
  });

  it("skips hosts where a container exists, with Kamal's message, but still uploads the files there", async () => {
    const { run, servers, stdout } = await setup((host, command) => {
      if (host === "10.0.0.1" && command.startsWith("docker ps -a -q")) return { stdout: "abc123\n" };
    });
    await bootAccessories(run, "mysql");
    expect(stdout.text).toContain("Skipping booting `mysql` on 10.0.0.1, a container already exists");
    expect(servers.commandsOn("10.0.0.1").some((command) => command.startsWith("docker run"))).toBe(false);
    expect(servers.commandsOn("10.0.0.2").some((command) => command.startsWith("docker run"))).toBe(true);
    expect(servers.uploads.some((upload) => upload.host === "10.0.0.1" && upload.path === "app-mysql/etc/mysql/my.cnf")).toBe(true);
  });

  it("fails when the network can't be created for another reason than 'already exists'", async () => {
    const { run } = await setup((_host, command) => {
      if (command === "docker network create kamal") return { code: 1, stderr: "permission denied while trying to connect" };
    });
    await expect(bootAccessories(run, "cache")).rejects.toThrow(/Could not create the kamal network on 10\.0\.0\.2: permission denied/);
  });

  it("boots all accessories in order, each under the same deploy lock", async () => {
    const { run, servers } = await setup();
    await bootAccessories(run, "all");
    const runs = servers.recorded.filter((entry) => entry.command.startsWith("docker run --name")).map((entry) => `${entry.host} ${entry.command.split(" ")[3]}`);
    expect(runs.sort()).toEqual(["10.0.0.1 app-mysql", "10.0.0.2 app-cache", "10.0.0.2 app-mysql"]);
    expect(servers.commandsOn("10.0.0.1").filter((command) => command.startsWith("mkdir .kamal/lock-app"))).toHaveLength(1);
  });

  it("names the accessories there are when the name is unknown", async () => {
    const { run } = await setup();
    await expect(bootAccessories(run, "postgres")).rejects.toThrow("No accessory by the name of 'postgres' (options: mysql and cache)");
    expect(toSentence(["a", "b", "c"])).toBe("a, b, and c");
  });

  it("honours -h: only the accessory's hosts that are selected", async () => {
    const { run, servers } = await setup(undefined, { hosts: ["10.0.0.2"] });
    await bootAccessories(run, "mysql");
    expect(servers.commandsOn("10.0.0.1").some((command) => command.startsWith("docker run"))).toBe(false);
    expect(servers.commandsOn("10.0.0.2").some((command) => command.startsWith("docker run --name app-mysql"))).toBe(true);
  });
});

describe("accessory stop/start/remove/details/exec/logs", () => {
  it("restart stops then starts, with audit lines", async () => {
    const { run, servers } = await setup();
    await restartAccessories(run, "cache");
    const commands = servers.commandsOn("10.0.0.2").filter((command) => !command.includes("lock-app") && command !== "mkdir -p .kamal");
    expect(commands.filter((command) => command.startsWith("docker container"))).toEqual(["docker container stop app-cache", "docker container start app-cache"]);
    expect(commands.some((command) => command.includes("Stopped cache accessory"))).toBe(true);
    expect(commands.some((command) => command.includes("Started cache accessory"))).toBe(true);
  });

  it("remove -y stops and removes container, image and service directory in one round trip per host", async () => {
    const { run, servers } = await setup();
    await removeAccessories(run, "mysql", { confirmed: true });
    const steps = servers.recorded.filter((entry) => entry.host === "10.0.0.2");
    const removal = steps.filter((entry) => entry.roundTrip === steps.find((item) => item.command === "docker container stop app-mysql")!.roundTrip);
    expect(removal.map((entry) => entry.command).filter((command) => !command.startsWith("mkdir -p .kamal &&"))).toEqual([
      "docker container stop app-mysql",
      "docker container prune --force --filter label=service=app-mysql",
      "docker image rm --force mysql:8",
      "rm -rf app-mysql",
      "rm -f .kamal/apps/app/env/accessories/mysql.env",
      "docker volume rm mysql-logs",
    ]);
  });

  it("remove without -y and without a terminal refuses instead of guessing", async () => {
    const { run, servers } = await setup();
    await expect(removeAccessories(run, "mysql", { confirmed: false })).rejects.toThrow("pass -y");
    expect(servers.recorded).toEqual([]);
  });

  it("details prints each host under `Accessory <name> Host:`", async () => {
    const { run, stdout } = await setup((host, command) => (command.startsWith("docker ps --filter label=service=app-mysql") ? { stdout: `row on ${host}\n` } : undefined));
    await showAccessoryDetails(run, "mysql");
    expect(stdout.text).toContain("Accessory mysql Host: 10.0.0.1\nrow on 10.0.0.1\n\n");
    expect(stdout.text).toContain("Accessory mysql Host: 10.0.0.2\nrow on 10.0.0.2\n\n");
  });

  it("exec in a new container uploads the env file first; --reuse runs docker exec", async () => {
    const { run, servers, stdout } = await setup((_host, command) => (command.includes("mysql -e") ? { stdout: "42\n" } : undefined));
    await execAccessory(run, "mysql", { command: ["mysql", "-e", "'select 42'"], interactive: false, reuse: false, raw: false });
    const commands = servers.commandsOn("10.0.0.1");
    const upload = commands.findIndex((command) => command.includes("berth-upload") && command.includes("mysql.env"));
    const exec = commands.findIndex((command) => command.startsWith("docker run --rm --network kamal"));
    expect(upload).toBeGreaterThan(-1);
    expect(exec).toBeGreaterThan(upload);
    expect(commands[exec]).toMatch(/mysql:8 mysql -e 'select 42'$/);
    expect(stdout.text).toContain("Launching command from new container...");
    expect(stdout.text).toContain("App Host: 10.0.0.1\n42\n");

    await execAccessory(run, "mysql", { command: ["mysql -e 'select 1'"], interactive: false, reuse: true, raw: false });
    expect(servers.commandsOn("10.0.0.2")).toContain("docker exec app-mysql mysql -e 'select 1'");
  });

  it("logs print every host's lines without a header; grep with no match says Nothing found", async () => {
    const { run, servers, stdout } = await setup((host, command) => (command.startsWith("docker logs app-mysql") ? { stdout: `line from ${host}\n` } : undefined));
    await accessoryLogs(run, "mysql", { follow: false, skipTimestamps: false });
    expect(servers.commandsOn("10.0.0.1")).toContain("docker logs app-mysql --tail 100 --timestamps 2>&1");
    expect(stdout.text).toContain("line from 10.0.0.1\n");
    const none = await setup((_host, command) => (command.includes("grep") ? { code: 1 } : undefined));
    await accessoryLogs(none.run, "mysql", { follow: false, skipTimestamps: true, grep: "ERROR" });
    expect(none.servers.commandsOn("10.0.0.1")).toContain("docker logs app-mysql 2>&1 | grep 'ERROR'");
    expect(none.stdout.text).toContain("Nothing found");
  });

  it("upgrade --rolling reboots host by host", async () => {
    const { run, servers, stdout } = await setup();
    await upgradeAccessories(run, "mysql", { rolling: true, confirmed: true });
    expect(stdout.text).toContain("Upgrading mysql accessories on 10.0.0.1...");
    expect(stdout.text).toContain("Upgraded mysql accessories on 10.0.0.2...");
    const runs = servers.recorded.filter((entry) => entry.command.startsWith("docker run --name app-mysql")).map((entry) => entry.host);
    expect(runs).toEqual(["10.0.0.1", "10.0.0.2"]);
  });
});

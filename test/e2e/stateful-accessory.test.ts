// A real stateful accessory (issue #14, item 7): Redis, built on the test bed from Debian's
// redis-server binary, booted with a config file rendered from ERB with a secret (`files`), a
// host directory for its log (`directories`) and a named volume for its data (`volumes`). What
// is written before `accessory reboot` (by Berth, then by Kamal 2.12 over Berth's layout) is
// there after it; `accessory remove` takes the data with it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, ensureRedisImage, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { baseEnv, kamalAsync } from "../support/kamal/kamal.js";
import { berth, createProject, sh, type Project } from "./support/project.js";

const REDIS_PASSWORD = "redis-pw-5e1d7c";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;

const REDIS_CONF = `port 6379
protected-mode no
dir /data
appendonly yes
appendfsync always
logfile /var/log/redis/redis.log
requirepass <%= ENV["REDIS_PASSWORD"] %>
`;

function accessories(image: string, host: TestHost): string {
  return `accessories:
  redis:
    image: ${image}
    host: ${host.ip}
    port: "6379:6379"
    cmd: redis-server /usr/local/etc/redis/redis.conf
    env:
      secret:
        - REDIS_PASSWORD
    files:
      - local: config/redis.conf.erb
        remote: /usr/local/etc/redis/redis.conf
        mode: "0640"
    directories:
      - log:/var/log/redis
    volumes:
      - app-redis-data:/data
`;
}

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "stateful-accessory-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  const image = await ensureRedisImage({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2] }, extra: accessories(image, h1) });
  project.release("redis", {
    "config/redis.conf.erb": REDIS_CONF,
    ".kamal/secrets": `REGISTRY_PASSWORD=registry-password-77\nSECRET_TOKEN=unused\nREDIS_PASSWORD=${REDIS_PASSWORD}\n`,
  });
});

afterAll(async () => {
  await bed?.stop();
});

/** redis-cli (Debian's redis-tools) against the accessory's published port; the password through the environment. */
async function redis(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)("redis-cli", ["-h", h1.ip, "-p", "6379", "--no-auth-warning", ...args], {
    env: { ...process.env, REDISCLI_AUTH: REDIS_PASSWORD },
    timeout: 10_000,
  });
  return stdout.trim();
}

async function waitForRedis(): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await redis("PING")) === "PONG") return;
    } catch (error) {
      if (attempt >= 50) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function containerId(): Promise<string> {
  return sh(h1, "docker inspect -f '{{.Id}}' app-redis");
}

describe("a stateful accessory (Redis)", () => {
  let firstContainer: string;

  it("boots with its rendered config file, log directory and data volume, and asks for the password", async () => {
    const result = await berth(project, ["accessory", "boot", "redis"]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain(REDIS_PASSWORD);
    await waitForRedis();
    expect(await sh(h1, "stat -c %a /root/app-redis/usr/local/etc/redis/redis.conf")).toBe("640");
    expect(await sh(h1, "grep requirepass /root/app-redis/usr/local/etc/redis/redis.conf")).toBe(`requirepass ${REDIS_PASSWORD}`);
    expect(await sh(h1, "docker inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}};{{end}}' app-redis")).toContain("volume app-redis-data /data;");
    // The password is required: without it, Redis refuses.
    const { stdout } = await promisify(execFile)("redis-cli", ["-h", h1.ip, "-p", "6379", "GET", "x"], { env: { PATH: process.env.PATH ?? "" } });
    expect(stdout).toMatch(/NOAUTH/);
    expect(await sh(h2, "docker ps -aq")).toBe("");
    firstContainer = await containerId();
  });

  it("keeps data written before `berth accessory reboot`, in a new container", async () => {
    expect(await redis("SET", "greeting", "written-before-reboot")).toBe("OK");
    expect(await redis("RPUSH", "events", "a", "b", "c")).toBe("3");
    const result = await berth(project, ["accessory", "reboot", "redis"]);
    expect(result.code, result.output).toBe(0);
    await waitForRedis();
    expect(await containerId()).not.toBe(firstContainer);
    expect(await redis("GET", "greeting")).toBe("written-before-reboot");
    expect(await redis("LRANGE", "events", "0", "-1")).toBe("a\nb\nc");
    // Redis logs into the accessory's host directory.
    expect(await sh(h1, "grep -c 'Ready to accept connections' /root/app-redis/log/redis.log")).toBe("2");
  });

  it("keeps it through `kamal accessory reboot` over Berth's layout too", async () => {
    expect(await redis("SET", "second", "before-kamal-reboot")).toBe("OK");
    const before = await containerId();
    const result = await kamalAsync(["accessory", "reboot", "redis"], { cwd: project.dir, env: baseEnv({ DOCKER_CONFIG: project.dockerConfig }), timeoutMs: 120_000 });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    await waitForRedis();
    expect(await containerId()).not.toBe(before);
    expect(await redis("MGET", "greeting", "second")).toBe("written-before-reboot\nbefore-kamal-reboot");
    expect(await sh(h1, "stat -c %a /root/app-redis/usr/local/etc/redis/redis.conf")).toBe("640");
  });

  it("`accessory remove` takes the container, the files, the log directory and the data volume", async () => {
    const result = await berth(project, ["accessory", "remove", "redis", "-y"]);
    expect(result.code, result.output).toBe(0);
    expect(await sh(h1, "docker ps -aq")).toBe("");
    expect(await sh(h1, "docker volume ls -q")).toBe("");
    expect((await h1.exec("test -e /root/app-redis")).code).not.toBe(0);
  });
});

// The test bed itself: two real hosts with their own dockerd and sshd, a registry, and a clean stop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  LOCK_FILE,
  LOCK_HOLDER_ENV,
  acquireMachineLock,
  ensureBaseImages,
  ensureLocalDocker,
  startTestbed,
  type BaseImages,
  type MachineLock,
  type Testbed,
} from "../../../testbed/index.js";
import { TESTBED_ROOT } from "../../../testbed/constants.js";

const run = promisify(execFile);

async function ssh(bed: Testbed, ip: string, command: string, extra: string[] = []) {
  return run("ssh", ["-F", bed.sshConfigPath, ...extra, ip, command], { timeout: 20_000 });
}

function tcpOutcome(ip: string, port: number, timeoutMs: number): Promise<"open" | "refused" | "timeout"> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("timeout");
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve("open");
    });
    socket.once("error", () => {
      clearTimeout(timer);
      resolve("refused");
    });
  });
}

describe("test bed", () => {
  let bed: Testbed;
  let images: BaseImages;
  let startMs = 0;
  let strayProcess: ChildProcess;
  let strayExited: Promise<void>;

  let lock: MachineLock | undefined;

  beforeAll(async () => {
    // The leftovers below are planted under the machine lock (lent to our own startTestbed), so
    // no other engineer's bed starts or cleans up in between.
    lock = await acquireMachineLock(LOCK_FILE, 15 * 60_000, "testbed test");
    process.env[LOCK_HOLDER_ENV] = String(process.pid);
    // What a crashed earlier bed may leave: a namespace with a process in it, a veth, a state directory.
    await run("ip", ["netns", "add", "berth-h9"]);
    await run("ip", ["link", "add", "berth-h8", "type", "veth", "peer", "name", "berth-h8p"]);
    strayProcess = spawn("ip", ["netns", "exec", "berth-h9", "sleep", "600"], { stdio: "ignore" });
    strayExited = new Promise((resolve) => strayProcess.once("exit", () => resolve()));
    mkdirSync(join(TESTBED_ROOT, "crashed-bed", "berth-h1", "run"), { recursive: true });

    await ensureLocalDocker(); // its FORWARD DROP policy must not break host-to-host traffic
    const started = Date.now();
    bed = await startTestbed({ hosts: 2, name: "testbed-test" });
    startMs = Date.now() - started;
    images = await ensureBaseImages({ push: true });
  }, 16 * 60_000); // the lock may take its full 15 minutes on a machine other people test on

  afterAll(async () => {
    await bed?.stop();
    delete process.env[LOCK_HOLDER_ENV];
    await lock?.release();
  });

  it("starts two hosts quickly, with the documented addresses", () => {
    console.log(`test bed: 2 hosts started in ${startMs} ms`);
    expect(bed.hosts.map((host) => [host.name, host.ip, host.bridgeCidr])).toEqual([
      ["berth-h1", "10.210.0.11", "10.211.1.0/24"],
      ["berth-h2", "10.210.0.12", "10.211.2.0/24"],
    ]);
    expect(bed.registry).toBe("10.210.0.1:5555");
    expect(startMs).toBeLessThan(30_000);
  });

  it("removed the leftovers of an earlier bed before starting", async () => {
    await strayExited;
    expect(strayProcess.signalCode).toBe("SIGKILL");
    expect((await run("ip", ["netns", "list"])).stdout).not.toContain("berth-h9");
    expect((await run("ip", ["-o", "link", "show"])).stdout).not.toContain("berth-h8");
    expect(existsSync(join(TESTBED_ROOT, "crashed-bed"))).toBe(false);
  });

  it("reaches every host over ssh with the generated config, checking host keys", async () => {
    for (const host of bed.hosts) {
      const { stdout } = await ssh(bed, host.ip, "hostname; id -u; echo $HOME");
      expect(stdout.split("\n").slice(0, 3)).toEqual([host.name, "0", "/root"]);
    }
    const config = readFileSync(bed.sshConfigPath, "utf8");
    expect(config).toContain("StrictHostKeyChecking yes");
    expect(readFileSync(bed.knownHostsPath, "utf8")).toContain(`10.210.0.11 ${bed.hosts[0]!.hostPublicKey}`);

    // A known_hosts with another key for the host must make ssh refuse to connect.
    const wrongKnownHosts = join(bed.workDir, "wrong_known_hosts");
    writeFileSync(wrongKnownHosts, `10.210.0.11 ${bed.hosts[1]!.hostPublicKey}\n`);
    const refused = await ssh(bed, "10.210.0.11", "true", ["-o", `UserKnownHostsFile=${wrongKnownHosts}`]).catch(
      (error: { stderr: string }) => error,
    );
    expect((refused as { stderr: string }).stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it("gives each host its own dockerd, pulling from the bed's registry", async () => {
    const [h1, h2] = bed.hosts as [Testbed["hosts"][0], Testbed["hosts"][0]];
    for (const host of bed.hosts) {
      const pull = await host.exec(`docker pull -q ${images.busybox} && docker pull -q ${images.node}`);
      expect(pull.code, pull.stderr).toBe(0);
    }
    const started = await h1.exec(`docker run -d --name only-on-h1 ${images.busybox} sleep 300`);
    expect(started.code, started.stderr).toBe(0);
    expect((await h1.exec("docker ps --format '{{.Names}}'")).stdout.trim()).toBe("only-on-h1");
    expect((await h2.exec("docker ps -a --format '{{.Names}}'")).stdout.trim()).toBe("");
    // Cached: a second call builds nothing and keeps the same images.
    const idsOf = async () => (await run("docker", ["image", "inspect", "-f", "{{.Id}}", "berth-test/busybox:1", "berth-test/node:20"])).stdout;
    const before = await idsOf();
    const cachedStarted = Date.now();
    expect(await ensureBaseImages()).toEqual({ busybox: "berth-test/busybox:1", node: "berth-test/node:20" });
    expect(Date.now() - cachedStarted).toBeLessThan(3000);
    expect(await idsOf()).toBe(before);
    const node = await h2.exec(`docker run --rm ${images.node} node -e 'console.log(process.versions.node.split(".")[0])'`);
    expect(node.stdout.trim()).toBe("20");
    expect((await h1.exec("hostname")).stdout.trim()).toBe("berth-h1");
  });

  it("answers on a published port from the machine and from the other host", async () => {
    const [h1, h2] = bed.hosts as [Testbed["hosts"][0], Testbed["hosts"][0]];
    const web = await h1.exec(
      `docker run -d --name web -p 8080:80 ${images.busybox} sh -c 'mkdir -p /www && echo served-by-h1 > /www/index.html && httpd -f -p 80 -h /www'`,
    );
    expect(web.code, web.stderr).toBe(0);
    let body = "";
    for (let attempt = 0; attempt < 50 && body !== "served-by-h1\n"; attempt++) {
      body = await fetch(`http://${h1.ip}:8080/`).then((response) => response.text(), () => "");
      if (body !== "served-by-h1\n") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(body).toBe("served-by-h1\n");
    // Host to host over the bridge, although the machine's dockerd drops forwarded traffic by
    // default: from h2 itself and from a container on h2.
    expect((await run("iptables", ["-S", "FORWARD"])).stdout).toContain("-P FORWARD DROP");
    expect((await h2.exec(`curl -s -m 5 http://${h1.ip}:8080/`)).stdout).toBe("served-by-h1\n");
    const fromContainer = await h2.exec(`docker run --rm ${images.busybox} timeout 5 wget -qO- http://${h1.ip}:8080/`);
    expect(fromContainer.stdout).toBe("served-by-h1\n");
  });

  it("makes a host unreachable and reachable again", async () => {
    const h2 = bed.hosts[1]!;
    await bed.setReachable(h2, false);
    expect(await tcpOutcome(h2.ip, 22, 1500)).toBe("timeout");
    await bed.setReachable(h2, false, "refuse");
    expect(await tcpOutcome(h2.ip, 22, 1500)).toBe("refused");
    await bed.setReachable(h2, true);
    expect(await tcpOutcome(h2.ip, 22, 1500)).toBe("open");
  });

  it("stops leaving no namespace, bridge, mount, cgroup or process behind", async () => {
    const pids = ["berth-h1/init.pid", "berth-h2/init.pid", "berth-h1/unshare.pid", "registry.pid"].map((file) =>
      Number(readFileSync(join(bed.workDir, file), "utf8")),
    );
    const containerPid = Number((await bed.hosts[0]!.exec("docker inspect -f '{{.State.Pid}}' web")).stdout);
    expect(containerPid).toBeGreaterThan(0);
    await bed.stop();
    const { stdout: namespaces } = await run("ip", ["netns", "list"]);
    expect(namespaces).not.toMatch(/berth-h\d/);
    const { stdout: links } = await run("ip", ["-o", "link", "show"]);
    expect(links).not.toMatch(/berthbr0|berth-h\d/);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(bed.workDir);
    for (const pid of pids) expect(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBeFalsy();
    expect(existsSync(bed.workDir)).toBe(false);
    const { stdout: rules } = await run("iptables", ["-S", "FORWARD"]);
    expect(rules).not.toContain("berth-testbed");
    expect(existsSync("/sys/fs/cgroup/pids/berth-testbed-h1")).toBe(false);
  });
});

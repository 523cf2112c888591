// SshTransport against real sshd's on the test bed: connection sharing, parallel hosts, stdin,
// uploads, secrets kept out of every process's arguments, host keys, unreachable hosts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { createHash, randomBytes } from "node:crypto";
import { Redacted, cmd } from "../../../src/core/cmd.js";
import { endpointProbe, inspectContainer, socketFromProbe } from "../../../src/commands/docker-api.js";
import { DockerApiClient } from "../../../src/transport/docker-api.js";
import { HostExecutionError, MultipleHostsError, SshConnectionError } from "../../../src/transport/errors.js";
import { onHosts } from "../../../src/transport/parallel.js";
import { SshTransport, type SshTransportOptions } from "../../../src/transport/ssh-transport.js";
import { startTestbed, type TestHost, type Testbed } from "../../../testbed/index.js";

const run = promisify(execFile);

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let scratch: string;
const transports: SshTransport[] = [];

function transport(options: SshTransportOptions = {}): SshTransport {
  const created = new SshTransport({ ssh: { config: bed.sshConfigPath }, connectTimeoutSeconds: 5, ...options });
  transports.push(created);
  return created;
}

/** An ssh config like the bed's, with other known_hosts / identity / checking lines. */
function sshConfig(name: string, lines: string[]): string {
  const path = join(scratch, name);
  writeFileSync(path, ["Host 10.210.0.*", "  User root", "  GlobalKnownHostsFile /dev/null", ...lines.map((line) => `  ${line}`), ""].join("\n"));
  return path;
}

/** Command lines of every process on the machine, the test hosts' included. */
function commandLines(): Array<{ pid: string; args: string }> {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return { pid, args: readFileSync(`/proc/${pid}/cmdline`, "latin1") };
      } catch {
        return { pid, args: "" };
      }
    });
}

async function establishedSshConnections(ip: string): Promise<number> {
  const { stdout } = await run("ss", ["-Htn", "state", "established", `( dst ${ip} and dport = :22 )`]);
  return stdout.split("\n").filter(Boolean).length;
}

/** Plain OpenSSH with a ControlMaster of its own, as the baseline for the figures above. */
async function rawSshTimings(ip: string): Promise<{ firstMs: number; medianMs: number }> {
  const base = ["-F", bed.sshConfigPath, "-o", `ControlPath=${join(scratch, "raw-master")}`];
  let started = performance.now();
  await run("ssh", [...base, "-o", "ControlMaster=yes", "-o", "ControlPersist=60", "-N", "-f", ip]);
  const firstMs = performance.now() - started;
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    started = performance.now();
    await run("ssh", [...base, "-o", "ControlMaster=auto", "-T", ip, "hostname"]);
    times.push(performance.now() - started);
  }
  await run("ssh", [...base, "-O", "exit", ip]);
  return { firstMs, medianMs: median(times) };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

beforeAll(async () => {
  bed = await startTestbed({ hosts: 2, name: "transport-test" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  scratch = mkdtempSync(join(tmpdir(), "berth-transport-it-"));
});

afterEach(async () => {
  for (const created of transports.splice(0)) await created.close();
});

afterAll(async () => {
  await bed?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("SshTransport on the test bed", () => {
  it("opens one TCP connection per host and runs every command over it", async () => {
    const ssh = transport();
    const connectStarted = performance.now();
    await ssh.connect(h1.ip);
    const firstConnectionMs = performance.now() - connectStarted;
    const perCommand: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const result = await ssh.run(h1.ip, cmd("hostname"));
      perCommand.push(performance.now() - started);
      expect(result.stdout).toBe("berth-h1\n");
    }
    const raw = await rawSshTimings(h2.ip); // on the other host, so its connection is not counted below
    const { stdout: load } = await run("cat", ["/proc/loadavg"]);
    console.log(
      `ssh timing (loadavg ${load.split(" ").slice(0, 3).join(" ")}): Berth first connection ${firstConnectionMs.toFixed(0)} ms, ` +
        `per command median ${median(perCommand).toFixed(1)} ms (min ${Math.min(...perCommand).toFixed(1)}); ` +
        `plain ssh with the same sharing: first ${raw.firstMs.toFixed(0)} ms, per command median ${raw.medianMs.toFixed(1)} ms`,
    );
    expect(await establishedSshConnections(h1.ip)).toBe(1);
    expect(ssh.stats()).toMatchObject({ connectionsOpened: 1, commandsRun: 20 });
    expect(median(perCommand)).toBeLessThan(firstConnectionMs);

    await ssh.close();
    expect(await establishedSshConnections(h1.ip)).toBe(0);
    expect(commandLines().filter(({ args }) => args.startsWith("ssh\0") && args.includes("berth-ssh-"))).toEqual([]);
  });

  it("runs commands in remote shells kept open on the connection, a user's command line in its login shell", async () => {
    const ssh = transport();
    // In a subshell `$$` is its shell's PID: the same for every command one remote shell runs.
    const sessions = new Set<string>();
    for (let i = 0; i < 5; i++) sessions.add((await ssh.run(h1.ip, cmd("echo", "$$"))).stdout);
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).toMatch(/^\d+\n$/);
    // Two at once need two shells; afterwards both are reused.
    const twice = (): Promise<string[]> => Promise.all([1, 2].map(async () => (await ssh.run(h1.ip, cmd("sleep 0.3; echo $$"))).stdout));
    const first = await twice();
    expect(new Set(first).size).toBe(2);
    expect(new Set([...first, ...(await twice())]).size).toBe(2);
    // A line typed by the user (server exec) goes to the login shell of a session of its own.
    const own = await ssh.run(h1.ip, cmd("echo", "$$;", "echo", "$0"), { loginShell: true });
    expect(first).not.toContain(own.stdout.split("\n")[0] + "\n");
    expect(own.stdout.split("\n")[1]).toMatch(/bash$/);
    expect(ssh.stats()).toMatchObject({ connectionsOpened: 1, commandsRun: 10 });
  });

  it("forwards a local socket, in the run's private directory, to a unix socket on the host", async () => {
    const ssh = transport();
    const remote = "/root/berth-forward-test.sock";
    // A server on the host that answers one connection and then exits (20 s at most).
    const script = `const s=require("net").createServer(c=>{s.close();c.on("data",d=>c.end("echo:"+d))}).listen("${remote}")`;
    const server = ssh.run(h1.ip, cmd(`rm -f ${remote}; timeout 20 node -e '${script}'; rm -f ${remote}`));
    await ssh.run(h1.ip, cmd(`for i in $(seq 100); do test -S ${remote} && exit 0; sleep 0.1; done; exit 1`));
    const local = await ssh.forwardUnixSocket(h1.ip, remote);
    expect(await ssh.forwardUnixSocket(h1.ip, remote)).toBe(local); // set up once
    expect(statSync(dirname(local)).mode & 0o777).toBe(0o700);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(local, () => socket.write("hi"));
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toBe("echo:hi");
    await server;
    expect(ssh.stats()).toMatchObject({ connectionsOpened: 1 });
  });

  it("reaches the host's Docker API through a forwarded /var/run/docker.sock, where the probe says docker uses it", async () => {
    const ssh = transport();
    expect(socketFromProbe((await ssh.run(h1.ip, endpointProbe())).stdout)).toBe("/var/run/docker.sock");
    // A DOCKER_HOST elsewhere (here TCP) means the docker commands go to another daemon: no API.
    expect(socketFromProbe((await ssh.run(h1.ip, cmd("export DOCKER_HOST=tcp://10.210.0.99:2375 ;", endpointProbe()))).stdout)).toBeUndefined();

    const client = new DockerApiClient(await ssh.forwardUnixSocket(h1.ip, "/var/run/docker.sock"));
    try {
      expect(await client.ping()).toBe(true);
      // The same daemon the host's docker CLI talks to: it names the same containers.
      const listed = await client.json<{ Names: string[] }[]>({ method: "GET", path: "/containers/json", query: { all: "1" } });
      const names = (listed ?? []).flatMap((container) => container.Names.map((name) => name.replace(/^\//, ""))).sort();
      expect(names.join("\n")).toBe((await ssh.run(h1.ip, cmd("docker ps -a --format '{{.Names}}' | sort"))).stdout.trim());
      expect(await client.json(inspectContainer("berth-no-such-container"))).toBeUndefined();
    } finally {
      client.close();
    }
    // A socket nobody listens on answers no ping (the deploy then keeps the docker CLI).
    const nothing = new DockerApiClient(await ssh.forwardUnixSocket(h1.ip, "/run/berth-no-such.sock"));
    expect(await nothing.ping()).toBe(false);
    nothing.close();
    expect(ssh.stats()).toMatchObject({ connectionsOpened: 1 });
  });

  it("reopens, and counts, a connection that closed itself after sshkit.pool_idle_timeout", async () => {
    // 2 s, not 1: the master idles out that long after it starts, so on a busy machine a 1 s
    // limit could end it before the first command's session arrives.
    const ssh = transport({ sshkit: { poolIdleTimeout: 2 } });
    expect((await ssh.run(h1.ip, cmd("hostname"))).stdout).toBe("berth-h1\n");
    // The idle remote shell ends after 2 s, then ControlPersist=2 ends the master.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await establishedSshConnections(h1.ip)).toBe(0);
    expect((await ssh.run(h1.ip, cmd("hostname"))).stdout).toBe("berth-h1\n");
    expect(ssh.stats()).toMatchObject({ connectionsOpened: 2, commandsRun: 2 });
  });

  it("runs on both hosts in parallel and reports each host's result", async () => {
    const ssh = transport();
    await Promise.all([ssh.connect(h1.ip), ssh.connect(h2.ip)]);
    const started = performance.now();
    const results = await onHosts([h1.ip, h2.ip], (host) => ssh.run(host, cmd("sleep", "1", "&&", "hostname")));
    const elapsed = performance.now() - started;
    expect(results.map((result) => result.stdout)).toEqual(["berth-h1\n", "berth-h2\n"]);
    expect(elapsed).toBeLessThan(1900);
  });

  it("lists every failing host with its command, exit status and stderr", async () => {
    const ssh = transport();
    const error = await onHosts([h1.ip, h2.ip], (host) => ssh.run(host, cmd("docker", "inspect", "no-such-container"))).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MultipleHostsError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Exceptions on 2 hosts:\nException while executing on host 10\.210\.0\.11: docker inspect no-such-container exit status: 1\n/);
    expect(message).toContain("Exception while executing on host 10.210.0.12: docker inspect no-such-container exit status: 1");
    expect(message).toContain("docker stderr: Error: No such object: no-such-container");
  });

  it("passes standard input through, byte for byte", async () => {
    const ssh = transport();
    const body = randomBytes(256 * 1024);
    const echoed = await ssh.run(h2.ip, cmd("cat"), { stdin: body, raw: true });
    expect(echoed.stdoutBytes?.equals(body)).toBe(true);
    const counted = await ssh.run(h2.ip, { parts: ["sha256sum"], stdin: new Redacted("password\n") });
    expect(counted.stdout.split(" ")[0]).toBe(createHash("sha256").update("password\n").digest("hex"));
  });

  it("uploads exact bytes with the requested mode, atomically, the body in no process's arguments", async () => {
    const ssh = transport();
    await ssh.run(h1.ip, cmd("mkdir", "-p", ".kamal"));
    const marker = `berth-upload-secret-${randomBytes(8).toString("hex")}`;
    const body = Buffer.from(`${marker}\n`.repeat(400_000)); // ~14 MB, so the scan overlaps the upload
    let uploading = true;
    const leaks: string[] = [];
    let scans = 0;
    const scanning = (async () => {
      while (uploading) {
        scans++;
        for (const { pid, args } of commandLines()) if (args.includes(marker)) leaks.push(`${pid}: ${args.slice(0, 120)}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await ssh.upload(h1.ip, new Redacted(body.toString("utf8")), ".kamal/app.env", { mode: 0o600 });
    uploading = false;
    await scanning;
    expect(scans).toBeGreaterThan(3);
    expect(leaks).toEqual([]);
    const stat = await h1.exec("stat -c '%a %s %U' /root/.kamal/app.env && sha256sum /root/.kamal/app.env && ls -a /root/.kamal");
    const [modeLine, sumLine, ...listing] = stat.stdout.trim().split("\n");
    expect(modeLine).toBe(`600 ${body.length} root`);
    expect(sumLine!.split(" ")[0]).toBe(createHash("sha256").update(body).digest("hex"));
    expect(listing.filter((name) => name.startsWith(".berth-upload"))).toEqual([]);

    await ssh.upload(h1.ip, Buffer.from([0, 255, 10, 13]), "/root/.kamal/binary", { mode: 0o640, owner: "nobody" });
    const binary = await h1.exec("stat -c '%a %U' /root/.kamal/binary && od -An -tx1 /root/.kamal/binary");
    expect(binary.stdout.replace(/\s+/g, " ").trim()).toBe("640 nobody 00 ff 0a 0d");
    expect(ssh.stats().uploads).toBe(2);
  });

  it("keeps a command's Redacted parts out of ssh's arguments", async () => {
    const ssh = transport();
    await ssh.connect(h2.ip);
    const marker = `berth-cmd-secret-${randomBytes(8).toString("hex")}`;
    const running = ssh.run(h2.ip, cmd("sleep", "1", "&&", "echo", new Redacted(marker)));
    const leaks: string[] = [];
    const until = Date.now() + 800;
    while (Date.now() < until) {
      for (const { args } of commandLines()) if (args.startsWith("ssh\0") && args.includes(marker)) leaks.push(args);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await running).stdout).toBe(`${marker}\n`);
    expect(leaks).toEqual([]);
  });

  it("refuses a changed host key, naming the host and what to do, even where new keys are accepted", async () => {
    const knownHosts = join(scratch, "changed_known_hosts");
    const recorded = `10.210.0.11 ${h2.hostPublicKey}\n`; // h2's key recorded for h1's address
    writeFileSync(knownHosts, recorded);
    const config = sshConfig("changed_config", [`IdentityFile ${bed.sshKeyPath}`, `UserKnownHostsFile ${knownHosts}`]);
    const ssh = transport({ ssh: { config } });
    const error = await ssh.run(h1.ip, cmd("true")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshConnectionError);
    expect((error as SshConnectionError).reason).toBe("host-key-changed");
    expect((error as SshConnectionError).kind).toBe("Berth::HostKeyMismatch");
    expect((error as Error).message).toContain("The SSH host key of 10.210.0.11 has CHANGED");
    expect((error as Error).message).toContain(`ssh-keygen -R 10.210.0.11 -f ${knownHosts}`);
    expect(readFileSync(knownHosts, "utf8")).toBe(recorded);
    expect(ssh.stats().connectionsOpened).toBe(0);
  });

  it("accepts an unknown host's key once when the user's config leaves checking at its default", async () => {
    const knownHosts = join(scratch, "empty_known_hosts");
    writeFileSync(knownHosts, "");
    const config = sshConfig("new_config", [`IdentityFile ${bed.sshKeyPath}`, `UserKnownHostsFile ${knownHosts}`]);
    const ssh = transport({ ssh: { config } });
    expect((await ssh.run(h2.ip, cmd("hostname"))).stdout).toBe("berth-h2\n");
    const { stdout } = await run("ssh-keygen", ["-F", h2.ip, "-f", knownHosts]);
    expect(stdout).toContain(h2.hostPublicKey.split(" ")[1]);
  });

  it("names an unreachable host and ssh's reason within the connect timeout", async () => {
    const ssh = transport({ connectTimeoutSeconds: 2 });
    await bed.setReachable(h2, false, "drop");
    try {
      const started = performance.now();
      const error = await onHosts([h1.ip, h2.ip], (host) => ssh.run(host, cmd("hostname"))).catch((caught: unknown) => caught);
      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(HostExecutionError);
      expect((error as HostExecutionError).host).toBe(h2.ip);
      expect((error as Error).message).toMatch(
        /^Exception while executing on host 10\.210\.0\.12: Cannot connect to 10\.210\.0\.12 \(root@10\.210\.0\.12:22\): no answer within 2 s/,
      );
      expect(((error as HostExecutionError).cause as SshConnectionError).reason).toBe("timeout");
      expect(elapsed).toBeLessThan(6000);

      await bed.setReachable(h2, false, "refuse");
      const refused = await ssh.run(h2.ip, cmd("hostname")).catch((caught: unknown) => caught);
      expect((refused as SshConnectionError).reason).toBe("refused");
      expect((refused as Error).message).toMatch(/Cannot connect to 10\.210\.0\.12 .*connection refused/);
    } finally {
      await bed.setReachable(h2, true);
    }
    expect((await ssh.run(h2.ip, cmd("hostname"))).stdout).toBe("berth-h2\n");
  });

  it("opens connections ahead of use; a failed one is reported by the host's next command, without a second wait", async () => {
    const ssh = transport({ connectTimeoutSeconds: 2 });
    await bed.setReachable(h2, false, "drop");
    try {
      await Promise.all([ssh.connect(h1.ip), ssh.connect(h2.ip)]);
      expect(ssh.stats().connectionsOpened).toBe(1);
      expect((await ssh.run(h1.ip, cmd("hostname"))).stdout).toBe("berth-h1\n");
      expect(ssh.stats().connectionsOpened).toBe(1);
      const started = performance.now();
      const error = await ssh.run(h2.ip, cmd("hostname")).catch((caught: unknown) => caught);
      expect((error as SshConnectionError).reason).toBe("timeout");
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await bed.setReachable(h2, true);
    }
    // Reported once: the next command connects again.
    expect((await ssh.run(h2.ip, cmd("hostname"))).stdout).toBe("berth-h2\n");
  });

  it("explains a refused login", async () => {
    const strangerKey = join(scratch, "stranger");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", strangerKey]);
    const config = sshConfig("stranger_config", [`IdentityFile ${strangerKey}`, "IdentitiesOnly yes", `UserKnownHostsFile ${bed.knownHostsPath}`]);
    const error = await transport({ ssh: { config } }).run(h1.ip, cmd("true")).catch((caught: unknown) => caught);
    expect((error as SshConnectionError).reason).toBe("auth");
    expect((error as Error).message).toMatch(/Cannot log in to 10\.210\.0\.11 as root.*Permission denied \(publickey\)/);
  });

  it("logs in with ssh.key_data through a private agent, the key written nowhere", async () => {
    const config = sshConfig("agent_config", [`UserKnownHostsFile ${bed.knownHostsPath}`, "StrictHostKeyChecking yes"]);
    const privateKey = readFileSync(bed.sshKeyPath, "utf8");
    const ssh = transport({ ssh: { config, keysOnly: true, keyData: [new Redacted(privateKey)] }, env: { ...process.env, SSH_AUTH_SOCK: "" } });
    expect((await ssh.run(h1.ip, cmd("hostname"))).stdout).toBe("berth-h1\n");
    const keyBody = privateKey.split("\n")[1]!;
    const privateDirs = readdirSync(tmpdir()).filter((name) => name.startsWith("berth-ssh-")).map((name) => join(tmpdir(), name));
    for (const dir of privateDirs) {
      for (const file of readdirSync(dir)) {
        let text = "";
        try {
          text = readFileSync(join(dir, file), "utf8");
        } catch {
          // sockets
        }
        expect(text).not.toContain(keyBody);
      }
    }
    expect(commandLines().some(({ args }) => args.includes(keyBody))).toBe(false);
  });

  it("reaches a host through ssh.proxy (ProxyJump)", async () => {
    const ssh = transport({ ssh: { config: bed.sshConfigPath, proxy: `root@${h1.ip}` } });
    const result = await ssh.run(h2.ip, cmd("echo", "$SSH_CONNECTION"));
    expect(result.stdout.split(" ")[0]).toBe(h1.ip);
  });
});

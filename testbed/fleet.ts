// A fleet of light test hosts, for measuring a deploy's orchestration over many servers (the
// benchmarks' 100-host fleet): each host is a network namespace on the bed's bridge with its own
// mount, UTS and PID namespaces and its own sshd (OpenSSH's default limits), but no dockerd. Its
// `docker` is a stand-in the caller provides (a directory holding a `docker` executable), and its
// /run is a directory of the caller's, where the caller serves the Docker Engine API socket
// (`<runDir>/docker.sock` is the host's /var/run/docker.sock). Shares the machine-wide lock, the
// addresses and the clean-up of startTestbed's beds; one bed or fleet at a time.
import { spawn } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClientFiles, writeKnownHostsAndConfig } from "./client.js";
import { killProcesses, removeLeftovers } from "./cleanup.js";
import { LOCK_FILE, MAX_FLEET_HOSTS, TESTBED_ROOT, hostIp, hostName } from "./constants.js";
import { sshBanner } from "./host.js";
import { acquireMachineLock } from "./lock.js";
import { createBridge, createHostNetwork } from "./network.js";
import { mustRun, waitFor } from "./process.js";

const BOOT_SCRIPT = fileURLToPath(new URL("./scripts/fleet-host-boot.sh", import.meta.url));
const CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Hosts set up at once (key generation, namespaces, sshd start): bounded so 2 cores keep up. */
const SETUP_CONCURRENCY = 16;

export interface FleetOptions {
  hosts: number;
  /** A directory holding the `docker` stand-in; it becomes each host's /usr/local/bin. */
  dockerCliDir: string;
  /** Names the fleet's work directory (under $BERTH_TESTBED_ROOT or /tmp/berth-testbed). */
  name?: string;
  lockTimeoutMs?: number;
}

export interface FleetHost {
  name: string;
  index: number;
  ip: string;
  /** The host's /run as the machine sees it: serve `docker.sock` (and other sockets) here. */
  runDir: string;
}

export interface Fleet {
  hosts: FleetHost[];
  /** `ssh -F <this>` (and Kamal's `ssh.config`) reaches every host as root with host key checking on. */
  sshConfigPath: string;
  workDir: string;
  stop(): Promise<void>;
}

interface BootedFleetHost extends FleetHost {
  initPid: number;
  hostPublicKey: string;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (process.getuid?.() !== 0) throw new Error("test fleet: needs root (network namespaces, sshd)");
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_FLEET_HOSTS) {
    throw new Error(`test fleet: hosts must be an integer from 1 to ${MAX_FLEET_HOSTS}, got ${options.hosts}`);
  }
  const name = options.name ?? "fleet";
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`test fleet: name must be a simple lowercase word, got "${name}"`);
  const lock = await acquireMachineLock(LOCK_FILE, options.lockTimeoutMs ?? 15 * 60_000, `test fleet "${name}"`);
  const booted: BootedFleetHost[] = [];
  const teardown = async (): Promise<void> => {
    await killProcesses(booted.map((host) => host.initPid));
    await removeLeftovers(TESTBED_ROOT);
  };
  const killOnExit = (): void => {
    for (const host of booted) {
      try {
        process.kill(host.initPid, "SIGKILL");
      } catch {
        // gone
      }
    }
  };
  try {
    await removeLeftovers(TESTBED_ROOT);
    const workDir = join(TESTBED_ROOT, name);
    const client = await createClientFiles(workDir);
    await createBridge();
    process.once("exit", killOnExit);
    const indices = Array.from({ length: options.hosts }, (_, i) => i + 1);
    for (let start = 0; start < indices.length; start += SETUP_CONCURRENCY) {
      const batch = indices.slice(start, start + SETUP_CONCURRENCY);
      await Promise.all(
        batch.map(async (index) => {
          await createHostNetwork(index);
          const stateDir = await prepareFleetHost(workDir, index, client.publicKey);
          booted.push(await bootFleetHost(index, stateDir, options.dockerCliDir));
        }),
      );
    }
    booted.sort((a, b) => a.index - b.index);
    writeKnownHostsAndConfig(client, booted);
    let stopped = false;
    return {
      hosts: booted.map(({ name: hostname, index, ip, runDir }) => ({ name: hostname, index, ip, runDir })),
      sshConfigPath: client.configPath,
      workDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener("exit", killOnExit);
        try {
          await teardown();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (error) {
    process.removeListener("exit", killOnExit);
    await teardown().catch(() => undefined);
    await lock.release();
    throw error;
  }
}

/** The host's /root (with the client's key authorised), /run, host key and sshd config. */
async function prepareFleetHost(workDir: string, index: number, clientPublicKey: string): Promise<string> {
  const stateDir = join(workDir, hostName(index));
  for (const sub of ["root/.ssh", "run"]) mkdirSync(join(stateDir, sub), { recursive: true });
  chmodSync(join(stateDir, "root"), 0o700);
  chmodSync(join(stateDir, "root/.ssh"), 0o700);
  writeFileSync(join(stateDir, "root/.ssh/authorized_keys"), clientPublicKey, { mode: 0o600 });
  const hostKey = join(stateDir, "ssh_host_ed25519_key");
  await mustRun("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", hostName(index), "-f", hostKey]);
  // OpenSSH's defaults otherwise (MaxSessions 10, MaxStartups 10:30:100), as on a real server.
  writeFileSync(
    join(stateDir, "sshd_config"),
    [
      `ListenAddress ${hostIp(index)}`,
      `HostKey ${hostKey}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "PidFile /run/sshd.pid",
      "PrintMotd no",
      "",
    ].join("\n"),
  );
  return stateDir;
}

async function bootFleetHost(index: number, stateDir: string, dockerCliDir: string): Promise<BootedFleetHost> {
  const name = hostName(index);
  const log = openSync(join(stateDir, "boot.log"), "a");
  const child = spawn(
    "nsenter",
    [
      `--net=/var/run/netns/${name}`,
      "unshare", "--mount", "--uts", "--pid", "--fork", "--mount-proc", "--propagation", "private", "--kill-child",
      "tini", "--",
      "bash", BOOT_SCRIPT, name, stateDir, dockerCliDir,
    ],
    { cwd: "/", env: { PATH: CLEAN_PATH, HOME: "/root", LANG: "C.UTF-8" }, stdio: ["ignore", log, log] },
  );
  closeSync(log);
  child.unref(); // stop() ends it
  writeFileSync(join(stateDir, "unshare.pid"), `${child.pid}\n`);
  const failIfExited = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`test fleet: ${name} stopped while booting; see ${join(stateDir, "boot.log")}`);
    }
  };
  const initPid = await waitFor(`${name}'s PID namespace`, 10_000, async () => {
    failIfExited();
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim();
    return children ? Number(children.split(" ")[0]) : undefined;
  });
  writeFileSync(join(stateDir, "init.pid"), `${initPid}\n`);
  await waitFor(`${name}'s sshd`, 30_000, async () => {
    failIfExited();
    return (await sshBanner(hostIp(index))) ? true : undefined;
  });
  const hostPublicKey = readFileSync(join(stateDir, "ssh_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  return { name, index, ip: hostIp(index), runDir: join(stateDir, "run"), initPid, hostPublicKey };
}

// Real servers on this one machine for integration and end-to-end tests. Each host is a network
// namespace on the bridge 10.210.0.0/24 with its own mount, UTS and PID namespaces, its own dockerd
// (containers on 10.211.N.0/24) and its own sshd; a registry listens on the bridge address.
// One bed runs at a time machine-wide; starting one first removes whatever an earlier bed left.
import { join } from "node:path";
import { acquireMachineLock } from "./lock.js";
import { bootHost, execInHost, prepareHostState, type BootedHost } from "./host.js";
import { createBridge, createHostNetwork, setHostFilter } from "./network.js";
import { killProcesses, removeLeftovers } from "./cleanup.js";
import { startRegistry, type RunningRegistry } from "./registry.js";
import { type ProcessResult } from "./process.js";
import { createClientFiles, writeKnownHostsAndConfig } from "./client.js";
import { LOCK_FILE, MAX_HOSTS, REGISTRY, TESTBED_ROOT, hostBridgeCidr } from "./constants.js";

export { ensureLocalDocker } from "./local-docker.js";
export { ensureBaseImages, BUSYBOX_IMAGE, NODE_IMAGE, type BaseImages } from "./images.js";
export { REGISTRY, BRIDGE, BRIDGE_IP } from "./constants.js";
export { startFleet, type Fleet, type FleetHost, type FleetOptions } from "./fleet.js";

export interface TestHost {
  /** Hostname inside the host and name of its network namespace, e.g. "berth-h1". */
  name: string;
  index: number;
  /** 10.210.0.(10+N) */
  ip: string;
  /** 10.211.N.0/24, the host's docker bridge. */
  bridgeCidr: string;
  /** The host's dockerd, reachable from the machine without SSH: "unix:///…/run/docker.sock". */
  dockerHost: string;
  /** The host's SSH public key as known_hosts lists it: "ssh-ed25519 AAAA…". */
  hostPublicKey: string;
  /** Run a shell command as root inside the host's namespaces (not over SSH), for assertions: files, modes, docker ps. */
  exec(command: string, options?: { input?: string | Buffer }): Promise<ProcessResult>;
}

export interface Testbed {
  hosts: TestHost[];
  /** "10.210.0.1:5555", plain HTTP; every host's dockerd trusts it. */
  registry: string;
  sshKeyPath: string;
  knownHostsPath: string;
  /** `ssh -F <this>` reaches every host as root with host key checking on. */
  sshConfigPath: string;
  workDir: string;
  /**
   * Simulates an unreachable host (or restores it). "drop" (default) silently drops every packet
   * arriving at the host, so connections time out; "refuse" answers SSH connections with a reset.
   */
  setReachable(host: TestHost, reachable: boolean, mode?: "drop" | "refuse"): Promise<void>;
  stop(): Promise<void>;
}

export interface TestbedOptions {
  hosts: number;
  /** Names the bed's work directory (under $BERTH_TESTBED_ROOT or /tmp/berth-testbed). */
  name?: string;
  /** How long to wait for another bed on this machine to stop (default 15 min). */
  lockTimeoutMs?: number;
}

export async function startTestbed(options: TestbedOptions): Promise<Testbed> {
  if (process.getuid?.() !== 0) throw new Error("test bed: needs root (network namespaces, dockerd, sshd)");
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_HOSTS) {
    throw new Error(`test bed: hosts must be an integer from 1 to ${MAX_HOSTS}, got ${options.hosts}`);
  }
  const name = options.name ?? "default";
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`test bed: name must be a simple lowercase word, got "${name}"`);
  const lock = await acquireMachineLock(LOCK_FILE, options.lockTimeoutMs ?? 15 * 60_000, `test bed "${name}"`);
  const booted: BootedHost[] = [];
  let registry: RunningRegistry | undefined;
  const teardown = async (): Promise<void> => {
    await killProcesses([...booted.map((host) => host.initPid), ...(registry ? [registry.pid] : [])]);
    await removeLeftovers(TESTBED_ROOT);
  };
  try {
    await removeLeftovers(TESTBED_ROOT);
    const workDir = join(TESTBED_ROOT, name);
    const client = await createClientFiles(workDir);
    const indices = Array.from({ length: options.hosts }, (_, i) => i + 1);
    await createBridge();
    await Promise.all(indices.map(createHostNetwork));
    const states = await Promise.all(indices.map((index) => prepareHostState(workDir, index, client.publicKey)));
    const registryStarted = startRegistry(workDir).then((started) => (registry = started));
    await Promise.all([
      registryStarted,
      ...indices.map(async (index, i) => booted.push(await bootHost(index, states[i]!))),
    ]);
    booted.sort((a, b) => a.index - b.index);
    writeKnownHostsAndConfig(client, booted);
    const killOnExit = (): void => {
      for (const pid of [...booted.map((host) => host.initPid), ...(registry ? [registry.pid] : [])]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    };
    process.once("exit", killOnExit);
    let stopped = false;
    return {
      hosts: booted.map(toTestHost),
      registry: REGISTRY,
      sshKeyPath: client.keyPath,
      knownHostsPath: client.knownHostsPath,
      sshConfigPath: client.configPath,
      workDir,
      setReachable: (host, reachable, mode = "drop") => setHostFilter(host.index, reachable ? "none" : mode),
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
    await teardown().catch(() => undefined);
    await lock.release();
    throw error;
  }
}

function toTestHost(host: BootedHost): TestHost {
  return {
    name: host.name,
    index: host.index,
    ip: host.ip,
    bridgeCidr: hostBridgeCidr(host.index),
    dockerHost: `unix://${join(host.stateDir, "run/docker.sock")}`,
    hostPublicKey: host.hostPublicKey,
    exec: (command, options = {}) => execInHost(host.initPid, command, options.input),
  };
}

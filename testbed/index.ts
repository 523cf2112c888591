// Real servers on this one machine for integration and end-to-end tests. Each host is a network
// namespace on the bridge 10.210.0.0/24 with its own mount, UTS and PID namespaces, its own dockerd
// (containers on 10.211.N.0/24) and its own sshd; a registry listens on the bridge address.
// One bed runs at a time machine-wide; starting one first removes whatever an earlier bed left,
// a kept bed (berth demo's, see kept.ts) included unless it is reused.
import { join } from "node:path";
import { acquireMachineLock, type MachineLock } from "./lock.js";
import { bootHost, execInHost, prepareHostState, type BootedHost } from "./host.js";
import { createBridge, createHostNetwork, setHostFilter } from "./network.js";
import { killProcesses, removeLeftovers } from "./cleanup.js";
import { startRegistry, type RunningRegistry } from "./registry.js";
import { type ProcessResult } from "./process.js";
import { keptBedAnswers, readKeptBed, runningKeptBeds, writeKeptBed, type KeptBedRecord } from "./kept.js";
import { createClientFiles, writeKnownHostsAndConfig } from "./client.js";
import { LOCK_FILE, MAX_HOSTS, REGISTRY, TESTBED_ROOT, hostBridgeCidr } from "./constants.js";

export { ensureLocalDocker } from "./local-docker.js";
export { ensureBaseImages, BUSYBOX_IMAGE, NODE_IMAGE, type BaseImages } from "./images.js";
export { ensureRedisImage, REDIS_IMAGE } from "./redis-image.js";
export { REGISTRY, BRIDGE, BRIDGE_IP, TESTBED_ROOT, LOCK_FILE } from "./constants.js";
export { acquireMachineLock, lockHeldBy, LOCK_HOLDER_ENV, type MachineLock } from "./lock.js";
export { readKeptBed, runningKeptBeds, type KeptBedRecord } from "./kept.js";
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
  /** "10.210.0.1:5555", plain HTTP; every host's dockerd trusts it. (Nothing listens there with `registry: false`.) */
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
  /** True when this is a kept bed that was already running and was taken over as it was. */
  reused: boolean;
  /**
   * Releases the machine lock and leaves the bed running (for a bed started with `keepRunning`):
   * the next bed started on the machine removes it, unless it is the same kept bed reused.
   */
  release(): Promise<void>;
  /** Removes the bed and releases the lock. */
  stop(): Promise<void>;
}

export interface TestbedOptions {
  hosts: number;
  /** Names the bed's work directory (under $BERTH_TESTBED_ROOT or /tmp/berth-testbed). */
  name?: string;
  /** How long to wait for another bed on this machine to stop (default 15 min). */
  lockTimeoutMs?: number;
  /**
   * The bed outlives this process: its daemons get sessions of their own, nothing ends them when
   * the process exits, and a record lets a later process reuse it. Names who keeps it ("berth demo").
   */
  keepRunning?: string;
  /** With keepRunning: a kept bed of this name that still answers is taken over as it is. */
  reuse?: boolean;
  /** Where to say that a kept bed (a demo) is being removed; default stderr. */
  notice?: (text: string) => void;
  /** Called once the machine lock is taken (how long a start waited for other beds). */
  onLockAcquired?: () => void;
  /** Start the bed's registry (default true); false for deploys that use none. Not with keepRunning. */
  registry?: boolean;
}

export async function startTestbed(options: TestbedOptions): Promise<Testbed> {
  if (process.getuid?.() !== 0) throw new Error("test bed: needs root (network namespaces, dockerd, sshd)");
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_HOSTS) {
    throw new Error(`test bed: hosts must be an integer from 1 to ${MAX_HOSTS}, got ${options.hosts}`);
  }
  const name = options.name ?? "default";
  if (options.registry === false && options.keepRunning !== undefined) throw new Error("test bed: a kept bed has its registry");
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`test bed: name must be a simple lowercase word, got "${name}"`);
  const lock = await acquireMachineLock(LOCK_FILE, options.lockTimeoutMs ?? 15 * 60_000, `test bed "${name}"`);
  options.onLockAcquired?.();
  const workDir = join(TESTBED_ROOT, name);
  try {
    const kept = options.keepRunning !== undefined && options.reuse ? readKeptBed(workDir) : undefined;
    if (kept !== undefined && kept.hosts.length === options.hosts && (await keptBedAnswers(kept))) {
      return bedHandle(kept, lock, { reused: true, stopOnExit: false });
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
  const notice = options.notice ?? ((text: string) => void process.stderr.write(`${text}\n`));
  for (const kept of runningKeptBeds(TESTBED_ROOT)) {
    if (kept.name === name && options.keepRunning !== undefined) continue; // restarting our own bed
    notice(`test bed: removing the servers ${kept.keptBy} left running (${kept.workDir}); run ${kept.keptBy} again to bring them back`);
  }
  const detached = options.keepRunning !== undefined;
  const booted: BootedHost[] = [];
  let registry: RunningRegistry | undefined;
  try {
    await removeLeftovers(TESTBED_ROOT);
    const client = await createClientFiles(workDir);
    const indices = Array.from({ length: options.hosts }, (_, i) => i + 1);
    await createBridge();
    await Promise.all(indices.map(createHostNetwork));
    const states = await Promise.all(indices.map((index) => prepareHostState(workDir, index, client.publicKey)));
    const registryStarted = options.registry === false ? Promise.resolve() : startRegistry(workDir, { detached }).then((started) => (registry = started));
    await Promise.all([
      registryStarted,
      ...indices.map(async (index, i) => booted.push(await bootHost(index, states[i]!, { detached }))),
    ]);
    booted.sort((a, b) => a.index - b.index);
    writeKnownHostsAndConfig(client, booted);
    const record: KeptBedRecord = {
      name,
      keptBy: options.keepRunning ?? "",
      workDir,
      hosts: booted.map(({ index, name: hostName, ip, stateDir, hostPublicKey, initPid }) => ({ index, name: hostName, ip, stateDir, hostPublicKey, initPid })),
      registryPid: registry?.pid ?? 0,
      client: { keyPath: client.keyPath, knownHostsPath: client.knownHostsPath, configPath: client.configPath },
    };
    if (detached) writeKeptBed(record);
    return bedHandle(record, lock, { reused: false, stopOnExit: !detached });
  } catch (error) {
    await killProcesses([...booted.map((host) => host.initPid), ...(registry ? [registry.pid] : [])]).catch(() => undefined);
    await removeLeftovers(TESTBED_ROOT).catch(() => undefined);
    await lock.release();
    throw error;
  }
}

/**
 * Removes whatever beds are on the machine (a kept bed included), once no bed is starting or in
 * use: it waits for the machine lock like a bed would.
 */
export async function removeTestbeds(options: { lockTimeoutMs?: number; purpose?: string } = {}): Promise<void> {
  const lock = await acquireMachineLock(LOCK_FILE, options.lockTimeoutMs ?? 15 * 60_000, options.purpose ?? "removing test beds");
  try {
    await removeLeftovers(TESTBED_ROOT);
  } finally {
    await lock.release();
  }
}

/** The Testbed of a started (or reused) bed; `stopOnExit` ends its daemons if the process exits first. */
function bedHandle(record: KeptBedRecord, lock: MachineLock, settings: { reused: boolean; stopOnExit: boolean }): Testbed {
  const pids = [...record.hosts.map((host) => host.initPid), record.registryPid].filter((pid) => pid > 0);
  const killOnExit = (): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  };
  if (settings.stopOnExit) process.once("exit", killOnExit);
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await lock.release();
  };
  let stopped = false;
  return {
    hosts: record.hosts.map(toTestHost),
    registry: REGISTRY,
    sshKeyPath: record.client.keyPath,
    knownHostsPath: record.client.knownHostsPath,
    sshConfigPath: record.client.configPath,
    workDir: record.workDir,
    reused: settings.reused,
    setReachable: (host, reachable, mode = "drop") => setHostFilter(host.index, reachable ? "none" : mode),
    release,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", killOnExit);
      try {
        await killProcesses(pids);
        await removeLeftovers(TESTBED_ROOT);
      } finally {
        await release();
      }
    },
  };
}

function toTestHost(host: KeptBedRecord["hosts"][number]): TestHost {
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

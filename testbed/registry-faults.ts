// Faults of the bed's registry, for tests of pushes and pulls that go wrong: the process stopped
// (connections refused) or frozen (connections accepted, nothing answered), and the network path
// to it cut from this machine (where images are pushed) or from the hosts (where they are pulled).
// Network faults drop packets where they arrive, never where they leave: a packet dropped on its
// way out fails the sender's send at once (EPERM), which no real network does.
import { readFileSync, writeFileSync } from "node:fs";
import { runProcess } from "./process.js";
import { BRIDGE, BRIDGE_IP, REGISTRY_PORT, hostName } from "./constants.js";

/** Tags every rule a fault adds, so that heal() and a later bed's clean-up find them. */
export const FAULT_COMMENT = "berth-testbed-fault";

/**
 * How the path to the registry fails:
 * - "refuse": connections are reset at once (as by a stopped registry);
 * - "blackhole": every packet is dropped (connections time out; one under way hangs);
 * - "stall": connections open, but no packet with data gets through either way: requests are
 *   never answered, and a transfer under way stops where it is.
 */
export type PathFault = "refuse" | "blackhole" | "stall";

/** Where the path starts: this machine (pushes) or the bed's hosts (pulls). */
export type FaultSide = "machine" | "hosts";

// Pure TCP control packets (SYN, ACK, FIN, with options) are at most 80 bytes; data makes them longer.
const WITH_DATA = ["-m", "length", "--length", "100:65535"];

export interface PathFaultOptions {
  /**
   * Only on connections that have carried this many bytes already (both ways): a transfer of a
   * large layer starts, then stops in the middle. Not with "refuse".
   */
  readonly afterBytes?: number;
}

/** iptables rules (in the root namespace, or in a host's) that make `fault` on `side`. */
export function pathFaultRules(side: FaultSide, fault: PathFault, options: PathFaultOptions = {}): { root: string[][]; host: string[][] } {
  if (options.afterBytes !== undefined && fault === "refuse") throw new Error("test bed: a refusal can't wait for bytes; use stall or blackhole");
  const after = options.afterBytes === undefined ? [] : ["-m", "connbytes", "--connbytes", `${options.afterBytes}:`, "--connbytes-dir", "both", "--connbytes-mode", "bytes"];
  const tag = [...after, "-m", "comment", "--comment", FAULT_COMMENT];
  const port = String(REGISTRY_PORT);
  if (side === "machine") {
    // A push from this machine to the bridge address goes over loopback, both ways.
    const toRegistry = ["INPUT", "-i", "lo", "-d", BRIDGE_IP, "-p", "tcp", "--dport", port];
    const fromRegistry = ["INPUT", "-i", "lo", "-s", BRIDGE_IP, "-p", "tcp", "--sport", port];
    if (fault === "refuse") return { root: [[...toRegistry, "--syn", ...tag, "-j", "REJECT", "--reject-with", "tcp-reset"]], host: [] };
    const data = fault === "stall" ? WITH_DATA : [];
    return { root: [[...toRegistry, ...data, ...tag, "-j", "DROP"], [...fromRegistry, ...data, ...tag, "-j", "DROP"]], host: [] };
  }
  // Hosts' packets arrive at the machine over the bridge; the registry's arrive in each host.
  const toRegistry = ["INPUT", "-i", BRIDGE, "-d", BRIDGE_IP, "-p", "tcp", "--dport", port];
  const fromRegistry = ["INPUT", "-s", BRIDGE_IP, "-p", "tcp", "--sport", port];
  if (fault === "refuse") return { root: [[...toRegistry, "--syn", ...tag, "-j", "REJECT", "--reject-with", "tcp-reset"]], host: [] };
  const data = fault === "stall" ? WITH_DATA : [];
  return { root: [[...toRegistry, ...data, ...tag, "-j", "DROP"]], host: [[...fromRegistry, ...data, ...tag, "-j", "DROP"]] };
}

/**
 * Adds the rules. A byte count needs the kernel's connection accounting, which the first such
 * rule turns on in its namespace: removePathFaults turns it off again in the root namespace.
 */
export async function addPathFault(side: FaultSide, fault: PathFault, hostIndices: readonly number[], options: PathFaultOptions = {}): Promise<void> {
  const rules = pathFaultRules(side, fault, options);
  for (const rule of rules.root) await iptables(undefined, ["-I", ...rule]);
  for (const index of hostIndices) for (const rule of rules.host) await iptables(hostName(index), ["-I", ...rule]);
}

/** Removes every fault rule, in the root namespace and in the hosts'. */
export async function removePathFaults(hostIndices: readonly number[], accounting: string | undefined): Promise<void> {
  await removeTagged(undefined);
  for (const index of hostIndices) await removeTagged(hostName(index));
  if (accounting !== undefined) writeFileSync(ACCOUNTING, accounting);
}

const ACCOUNTING = "/proc/sys/net/netfilter/nf_conntrack_acct";

/** The root namespace's connection accounting setting ("0\n" or "1\n"), to restore after a byte-counting fault. */
export function accountingSetting(): string | undefined {
  try {
    return readFileSync(ACCOUNTING, "utf8");
  } catch {
    return undefined; // no conntrack module loaded yet: nothing to restore
  }
}

/** Deletes the rules tagged FAULT_COMMENT from the filter table (of a host's namespace, or the root's). */
export async function removeTagged(namespace: string | undefined): Promise<void> {
  const listed = await iptables(namespace, ["-S"], { allowFailure: true });
  for (const line of listed.split("\n")) {
    if (!line.startsWith("-A ") || !line.includes(FAULT_COMMENT)) continue;
    // `iptables -S` prints each rule as the arguments that add it; the comment has no spaces.
    await iptables(namespace, ["-D", ...line.slice(3).split(" ")], { allowFailure: true });
  }
}

async function iptables(namespace: string | undefined, args: string[], options: { allowFailure?: boolean } = {}): Promise<string> {
  const [command, full] = namespace === undefined ? ["iptables", args] : ["ip", ["netns", "exec", namespace, "iptables", ...args]];
  const result = await runProcess(command, full);
  if (result.code !== 0 && !options.allowFailure) {
    throw new Error(`test bed: \`${[command, ...full].join(" ")}\` failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

// The bed's network in the machine's root namespace: one bridge (10.210.0.1/24) and, per host,
// a network namespace joined to it by a veth pair.
import { mustRun, runProcess } from "./process.js";
import { removeTagged } from "./registry-faults.js";
import { BRIDGE, BRIDGE_IP, BRIDGE_PREFIX, HOST_NAME_PATTERN, IPTABLES_COMMENT, hostIp, hostName } from "./constants.js";

// A dockerd in the root namespace sets the FORWARD policy to DROP, and bridged frames pass
// through iptables (br_netfilter): without this rule, hosts could not reach each other.
const FORWARD_RULE = ["FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-m", "comment", "--comment", IPTABLES_COMMENT, "-j", "ACCEPT"];

export async function createBridge(): Promise<void> {
  await mustRun("ip", ["link", "add", BRIDGE, "type", "bridge"]);
  await mustRun("ip", ["addr", "add", `${BRIDGE_IP}/${BRIDGE_PREFIX}`, "dev", BRIDGE]);
  await mustRun("ip", ["link", "set", BRIDGE, "up"]);
  if ((await runProcess("iptables", ["-C", ...FORWARD_RULE])).code !== 0) {
    await mustRun("iptables", ["-I", ...FORWARD_RULE]);
  }
}

export async function createHostNetwork(index: number): Promise<void> {
  const name = hostName(index);
  await mustRun("ip", ["netns", "add", name]);
  await mustRun("ip", ["link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", name]);
  await mustRun("ip", ["link", "set", name, "master", BRIDGE, "up"]);
  await mustRun("ip", ["-n", name, "addr", "add", `${hostIp(index)}/${BRIDGE_PREFIX}`, "dev", "eth0"]);
  await mustRun("ip", ["-n", name, "link", "set", "eth0", "up"]);
  await mustRun("ip", ["-n", name, "link", "set", "lo", "up"]);
  await mustRun("ip", ["-n", name, "route", "add", "default", "via", BRIDGE_IP]);
}

/** Network namespaces a bed created (this one or an earlier, crashed one). */
export async function listOwnNamespaces(): Promise<string[]> {
  const out = await mustRun("ip", ["netns", "list"]);
  return out
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => HOST_NAME_PATTERN.test(name));
}

/** PIDs of every process inside one of our network namespaces. */
export async function namespacePids(name: string): Promise<number[]> {
  const result = await runProcess("ip", ["netns", "pids", name]);
  return result.stdout.split("\n").filter(Boolean).map(Number);
}

/** Removes namespaces, veths, the bridge and the iptables rule; tolerates parts already gone. */
export async function removeNetwork(): Promise<void> {
  for (const name of await listOwnNamespaces()) await runProcess("ip", ["netns", "del", name]);
  const links = await mustRun("ip", ["-o", "link", "show"]);
  for (const match of links.matchAll(/^\d+: ([^:@]+)[@:]/gm)) {
    const link = match[1]!;
    if (HOST_NAME_PATTERN.test(link)) await runProcess("ip", ["link", "del", link]);
  }
  await runProcess("ip", ["link", "del", BRIDGE]);
  while ((await runProcess("iptables", ["-D", ...FORWARD_RULE])).code === 0) {
    // a rule may have been added twice by racing beds before the lock existed
  }
  await removeTagged(undefined); // registry faults a test left in place
}

/** Makes a host unreachable (or reachable again) by filtering inside its own namespace. */
export async function setHostFilter(index: number, mode: "drop" | "refuse" | "none"): Promise<void> {
  const name = hostName(index);
  const rules: Record<"drop" | "refuse", string[]> = {
    // raw PREROUTING sees every packet arriving on eth0 before NAT: SSH and published ports alike.
    drop: ["-t", "raw", "PREROUTING", "-i", "eth0", "-m", "comment", "--comment", IPTABLES_COMMENT, "-j", "DROP"],
    refuse: [
      "-t", "filter", "INPUT", "-i", "eth0", "-p", "tcp", "--dport", "22",
      "-m", "comment", "--comment", IPTABLES_COMMENT, "-j", "REJECT", "--reject-with", "tcp-reset",
    ],
  };
  const inNamespace = (args: string[]) => runProcess("ip", ["netns", "exec", name, "iptables", ...args]);
  for (const rule of Object.values(rules)) {
    const [tableFlag, table, chain, ...spec] = rule;
    while ((await inNamespace([tableFlag!, table!, "-D", chain!, ...spec])).code === 0) {
      // remove every copy
    }
  }
  if (mode === "none") return;
  const [tableFlag, table, chain, ...spec] = rules[mode];
  const result = await inNamespace([tableFlag!, table!, "-I", chain!, ...spec]);
  if (result.code !== 0) throw new Error(`test bed: cannot filter ${name}: ${result.stderr.trim()}`);
}

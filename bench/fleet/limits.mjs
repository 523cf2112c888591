// What bounds the fleet benchmark's wall time, from the run's own figures: the CPU that the
// deployer and the servers need on the machine's cores, and the share of it that an SSH key
// exchange costs the client (OpenSSH's default against the classic curve25519, which Kamal's
// net-ssh uses), measured on the fleet's hosts.
import { spawnSync } from "node:child_process";
import { measure } from "../lib/measure.mjs";
import { fmt, median } from "../lib/stats.mjs";

const CLASSIC_KEX = "curve25519-sha256";

/**
 * The client's CPU per SSH connection (`ssh host true`, connect to exit) on up to `count` hosts,
 * with OpenSSH's default key exchange and with curve25519-sha256; and the default's name.
 */
export async function keyExchangeCost(fleet, env, count = 20) {
  const hosts = fleet.hosts.slice(0, count).map((host) => host.ip);
  const loop = 'cfg=$1; shift; kex=$1; shift; for ip; do ssh -F "$cfg" ${kex:+-o KexAlgorithms=$kex} -T -- "$ip" true || exit 1; done';
  const perConnection = async (kex) => {
    const result = await measure("sh", ["-c", loop, "sh", fleet.sshConfigPath, kex, ...hosts], { env });
    if (result.code !== 0) throw new Error(`ssh to the fleet failed: ${result.stderr}`);
    return result.treeCpuMs / hosts.length;
  };
  const verbose = spawnSync("ssh", ["-v", "-F", fleet.sshConfigPath, "-T", "--", hosts[0], "true"], { env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
  const negotiated = /kex: algorithm: (\S+)/.exec(verbose.stderr)?.[1] ?? "unknown";
  // Alternating, twice each: the machine's load moves.
  const defaults = [];
  const classic = [];
  for (let round = 0; round < 2; round++) {
    defaults.push(await perConnection(""));
    classic.push(await perConnection(CLASSIC_KEX));
  }
  return { negotiated, defaultMs: median(defaults), classicMs: median(classic), hosts: hosts.length };
}

/**
 * Lines for RESULTS.md: the lower bound on the largest fleet's wall time from the CPU measured in
 * this run (Berth's and the servers', per round) over the machine's cores, next to the target.
 */
export function limitLines({ samples, largest, oneHostWallMs, target, cores, kex, maxConcurrentStarts }) {
  const runs = samples.berth.get(largest);
  const berth = median(runs.map((sample) => sample.treeCpuMs / largest));
  const own = median(runs.map((sample) => sample.ownCpuMs / largest));
  const servers = median(runs.map((sample) => sample.serverCpuMs / largest));
  const boundMs = median(runs.map((sample) => (sample.treeCpuMs + sample.serverCpuMs) / cores));
  const serversBoundMs = median(runs.map((sample) => sample.serverCpuMs / cores));
  const connections = median(runs.map((sample) => sample.connections / largest));
  const lines = [
    `Lower bound from this run's own CPU figures: ${largest} hosts × (Berth ${fmt(berth, 0)} + servers ${fmt(servers, 0)} ms/host) ÷ ${cores} cores = ` +
      `${fmt(boundMs / 1000)} s, ${fmt(boundMs / oneHostWallMs)}× the 1-host wall time, against the target's ${target}× (${fmt((target * oneHostWallMs) / 1000)} s). ` +
      `The servers' share alone (sshd's accept, key exchange and sessions, the docker stand-in) is ${fmt(serversBoundMs / 1000)} s = ${fmt(serversBoundMs / oneHostWallMs)}×: ` +
      `on ${cores} cores shared with its servers, ${serversBoundMs / oneHostWallMs > target ? "no client can meet the target" : "the target is within reach of a client that costs little enough"}.`,
    `Of Berth's ${fmt(berth, 0)} ms/host, the Node process takes ${fmt(own, 0)} and its ssh processes ${fmt(berth - own, 0)}. An SSH connection costs the client ` +
      `${fmt(kex.defaultMs, 0)} ms of CPU with OpenSSH's default key exchange here (${kex.negotiated}) and ${fmt(kex.classicMs, 0)} ms with ${CLASSIC_KEX} ` +
      `(what Kamal's net-ssh negotiates; \`ssh host true\` on ${kex.hosts} hosts): Berth keeps the user's OpenSSH choice, post-quantum by default (a user's ssh config may set \`KexAlgorithms\`).`,
    `Each host's sshd accepted ${fmt(connections, 1)} connection per deploy, so its MaxStartups (10:30:100, counting unauthenticated connections per sshd) never applies; ` +
      `Berth opens up to ${maxConcurrentStarts} connections at once (sshkit.max_concurrent_starts), more handshakes than ${cores} cores can run together: the wait is for CPU, not for a connection slot.`,
  ];
  return lines;
}

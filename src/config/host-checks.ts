// Host strings are handed to ssh. Kamal's net-ssh would only fail to resolve a host such as
// "-oProxyCommand=…" or "web1; rm -rf /"; OpenSSH reads a leading "-" as an option and its own
// config may expand %h into a shell command. So hosts that no name or address can be are refused
// while the configuration loads, at their place in the file, before anything runs.
import type { Finding } from "./finding.js";
import { isHash } from "./model/values.js";
import type { Path } from "./yaml-source-map.js";

// Punctuation no host name, IP address, `user@` or `:port` uses; "[" and "]" wrap IPv6 addresses.
// eslint-disable-next-line no-control-regex -- control characters are among what this finds
const FORBIDDEN = /[\u0000-\u0020\u007F!"#$&'()*+,/;<=>?\\^`{|}]/;

/** Why `host` can't be a host, or undefined when it can. */
export function hostProblem(host: string): string | undefined {
  if (host.trim() === "") return "is empty";
  if (host.startsWith("-")) return `"${host}" starts with "-", which ssh would read as an option`;
  const bad = FORBIDDEN.exec(host);
  if (bad !== null) {
    const shown = /[^!-~]/.test(bad[0]) ? `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}` : `"${bad[0]}"`;
    return `${JSON.stringify(host)} contains ${shown}, which no host name or address has`;
  }
  return undefined;
}

function checkHost(value: unknown, path: Path, findings: Finding[]): void {
  if (typeof value !== "string") return; // the schema reports other types
  const problem = hostProblem(value);
  if (problem !== undefined) findings.push({ path, message: `host ${problem}` });
}

/** A list of hosts, each a string or a `host: tags` hash (servers' lists). */
function checkHostList(list: unknown, path: Path, findings: Finding[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((entry, index) => {
    if (isHash(entry)) for (const host of Object.keys(entry)) checkHost(host, [...path, index, host], findings);
    else checkHost(entry, [...path, index], findings);
  });
}

/** Every host named in `servers`, `accessories` and `ssh.proxy`, with its path. */
export function checkHosts(raw: Readonly<Record<string, unknown>>): Finding[] {
  const findings: Finding[] = [];
  const servers = raw.servers;
  if (Array.isArray(servers)) checkHostList(servers, ["servers"], findings);
  else if (isHash(servers)) {
    for (const [role, settings] of Object.entries(servers)) {
      if (Array.isArray(settings)) checkHostList(settings, ["servers", role], findings);
      else if (isHash(settings)) checkHostList(settings.hosts, ["servers", role, "hosts"], findings);
    }
  }
  if (isHash(raw.accessories)) {
    for (const [name, accessory] of Object.entries(raw.accessories)) {
      if (!isHash(accessory)) continue;
      checkHost(accessory.host, ["accessories", name, "host"], findings);
      if (Array.isArray(accessory.hosts)) accessory.hosts.forEach((host, index) => checkHost(host, ["accessories", name, "hosts", index], findings));
    }
  }
  // `ssh.proxy` becomes `ssh -J <proxy>`: the same rules (proxy_command is a command by design).
  if (isHash(raw.ssh)) checkHost(raw.ssh.proxy, ["ssh", "proxy"], findings);
  return findings;
}

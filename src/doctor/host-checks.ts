// A host's checks from what was read there (host.ts does the reading). Pure, so each verdict and
// its advice is unit-tested without a server.
import { DEFAULT_DOCKER_ROOT } from "../commands/doctor.js";
import type { KnownHostStatus } from "../transport/known-hosts.js";
import { fail, ok, skip, warn, type Check } from "./checks.js";
import { describeProxyImage, dockerProblem, gigabytes, publishedPorts, type ContainerDocument, type DiskFree, type HostFacts } from "./host-facts.js";

export interface DockerReads {
  /** `/info`'s version and data root. */
  readonly version: string | undefined;
  readonly root: string;
  /** Whether the `kamal` network exists; undefined when it couldn't be read. */
  readonly network: boolean | undefined;
  /** The proxy container; null when there is none. */
  readonly proxy: ContainerDocument | null;
  readonly via: "Docker API" | "docker CLI";
}

export type RegistryOutcome =
  | { readonly server: string; readonly status: "ok" }
  | { readonly server: string; readonly status: "refused" | "unchecked"; readonly message: string };

export interface NameResolution {
  readonly name: string;
  /** Undefined when the name doesn't resolve. */
  readonly addresses: readonly string[] | undefined;
}

export interface HostObservations {
  readonly host: string;
  readonly known: KnownHostStatus | undefined;
  readonly facts: HostFacts;
  /** Host clock minus ours, in ms. */
  readonly clockSkewMs: number | undefined;
  readonly docker: DockerReads | undefined;
  readonly disk: DiskFree | undefined;
  readonly registries: readonly RegistryOutcome[];
  /** `proxy.host` names of the roles proxied here, resolved from this machine. */
  readonly names: readonly NameResolution[];
  /** The host's own addresses: its interfaces', and the configured address's. */
  readonly hostAddresses: readonly string[];
}

export interface HostExpectations {
  /** The proxy this host should run, when a role or accessory here is proxied. */
  readonly proxy: { readonly image: string; readonly ports: readonly number[] } | undefined;
  /** The registries this host pulls from (app and proxy images, accessories' own). */
  readonly registries: readonly string[];
  readonly minFreeDiskBytes: number;
  readonly maxClockSkewMs: number;
}

export function hostChecks(seen: HostObservations, expected: HostExpectations): Check[] {
  const checks: Check[] = [sshCheck(seen), dockerCheck(seen)];
  checks.push(diskCheck(seen, expected));
  if (seen.docker === undefined) {
    checks.push(skip("network", "not checked: Docker isn't usable"));
    for (const server of expected.registries) checks.push(skip("registry", `${server}: not checked, Docker isn't usable`));
    if (expected.proxy !== undefined) checks.push(skip("proxy", "not checked: Docker isn't usable"));
  } else {
    checks.push(seen.docker.network === false ? ok("network", "kamal: not created yet (the first deploy creates it)") : seen.docker.network ? ok("network", "kamal exists") : warn("network", "kamal: could not be read", "docker network inspect kamal on the host shows why"));
    checks.push(...seen.registries.map(registryCheck));
    if (expected.proxy !== undefined) checks.push(proxyCheck(seen.docker.proxy, expected.proxy.image, seen.host));
  }
  if (expected.proxy !== undefined && expected.proxy.ports.length > 0) checks.push(portsCheck(seen, expected.proxy.ports));
  checks.push(clockCheck(seen, expected));
  checks.push(...seen.names.map((name) => nameCheck(name, seen)));
  return checks;
}

function sshCheck(seen: HostObservations): Check {
  const known = seen.known;
  const where = known === undefined ? seen.host : `${known.user}@${known.hostname}:${known.port}`;
  if (known === undefined) return ok("ssh", `${where} answers`);
  if (/^(no|off|false)$/i.test(known.strictHostKeyChecking)) {
    return warn("ssh", `${where} answers, but host keys are not checked (StrictHostKeyChecking ${known.strictHostKeyChecking} in your ssh config)`, "remove that setting: a changed host key should stop a deploy");
  }
  return ok("ssh", `${where} answers, host key known (${known.keyTypes[0] ?? "key"} in ${known.knownIn ?? "known_hosts"})`);
}

function dockerCheck(seen: HostObservations): Check {
  const { facts } = seen;
  const user = facts.user || "the SSH user";
  if (facts.dockerVersion !== undefined) return ok("docker", `Docker ${facts.dockerVersion}, usable by ${user}${seen.docker === undefined ? "" : ` (read by the ${seen.docker.via})`}`);
  if (!facts.dockerCli) return fail("docker", "docker is not installed", `berth server bootstrap -h ${seen.host} installs it (as root), or install Docker Engine there`);
  const said = facts.dockerError.split("\n")[0] ?? "";
  switch (dockerProblem(facts.dockerError)) {
    case "not running":
      return fail("docker", `the Docker daemon is not running (${said})`, "start it on the host: systemctl start docker (and systemctl enable docker to keep it on)");
    case "permission":
      return fail("docker", `${user} may not use the Docker daemon (${said})`, `add the user to the docker group on the host (usermod -aG docker ${user}), or deploy as root (ssh.user)`);
    default:
      return fail("docker", `docker does not answer: ${said || "no message"}`, "run docker version on the host to see why");
  }
}

function diskCheck(seen: HostObservations, expected: HostExpectations): Check {
  const disk = seen.disk;
  const root = seen.docker?.root ?? DEFAULT_DOCKER_ROOT;
  if (disk === undefined) return warn("disk", `free space under ${root} could not be read`, `df -h ${root} on the host shows it`);
  const text = `${gigabytes(disk.availableBytes)} free on ${disk.mountedOn} (Docker's data root ${root})`;
  if (disk.availableBytes >= expected.minFreeDiskBytes) return ok("disk", text);
  return fail("disk", `only ${text}; at least ${gigabytes(expected.minFreeDiskBytes)} wanted`, "free space: berth prune all removes this app's old images and containers, docker system prune everything unused; or grow the disk (x-berth.doctor.min_free_disk_gb sets the bar)");
}

function registryCheck(outcome: RegistryOutcome): Check {
  switch (outcome.status) {
    case "ok":
      return ok("registry", `${outcome.server}: the login works from this host`);
    case "refused":
      return fail("registry", `${outcome.server} refused the login from this host: ${outcome.message}`, "check registry.username and the password secret, and that the host reaches the registry (DNS, firewall; an HTTP registry must be in Docker's insecure-registries)");
    default:
      return warn("registry", `${outcome.server}: login not checked (${outcome.message})`, "see the check named in the reason");
  }
}

function proxyCheck(container: ContainerDocument | null, expectedImage: string, host: string): Check {
  if (container === null) return ok("proxy", `no kamal-proxy container yet (the next deploy boots ${describeProxyImage(expectedImage)})`);
  const image = container.Config?.Image ?? "unknown image";
  const state = container.State;
  if (state?.Running !== true) {
    return fail("proxy", `kamal-proxy is ${state?.Status ?? "not running"}${state?.ExitCode ? ` (exit code ${state.ExitCode})` : ""}: nothing is served here`, `berth proxy boot -h ${host} starts it (berth proxy logs -h ${host} shows why it stopped)`);
  }
  const running = `kamal-proxy runs ${image}: ${describeProxyImage(image)}`;
  if (image === expectedImage) return ok("proxy", running);
  return warn("proxy", `${running}; the configuration boots ${expectedImage}`, `berth proxy reboot -h ${host} switches it (a few seconds without the proxy)`);
}

function portsCheck(seen: HostObservations, ports: readonly number[]): Check {
  const proxy = seen.docker?.proxy;
  const published = proxy?.State?.Running === true ? publishedPorts(proxy) : new Set<number>();
  const taken = ports.filter((port) => !published.has(port) && seen.facts.listeningPorts.has(port));
  const list = (items: readonly number[]): string => items.join(" and ");
  if (taken.length > 0) {
    return fail("ports", `${list(taken)} ${taken.length === 1 ? "is" : "are"} taken by something other than kamal-proxy`, `find it with ss -ltnp 'sport = :${taken[0]}' on the host and stop it, or move the proxy (proxy.run.http_port / https_port)`);
  }
  const mine = ports.filter((port) => published.has(port));
  const free = ports.filter((port) => !published.has(port));
  return ok("ports", [mine.length > 0 ? `${list(mine)} published by kamal-proxy` : "", free.length > 0 ? `${list(free)} free` : ""].filter(Boolean).join(", "));
}

function clockCheck(seen: HostObservations, expected: HostExpectations): Check {
  const skew = seen.clockSkewMs;
  if (skew === undefined) return warn("clock", "the host's time could not be read", "date -u on the host shows it");
  const seconds = Math.abs(skew) / 1000;
  const text = seconds < 0.1 ? "in step with this machine" : `${seconds.toFixed(1)} s ${skew > 0 ? "ahead of" : "behind"} this machine`;
  if (Math.abs(skew) <= expected.maxClockSkewMs) return ok("clock", text);
  return fail("clock", `${text} (more than ${expected.maxClockSkewMs / 1000} s)`, "turn on time sync on the host (timedatectl set-ntp true, or chrony), and check this machine's clock: TLS certificates and logs depend on it");
}

function nameCheck(resolution: NameResolution, seen: HostObservations): Check {
  const { name, addresses } = resolution;
  const label = "proxy host";
  const own = seen.hostAddresses;
  if (addresses === undefined || addresses.length === 0) {
    return fail(label, `${name} does not resolve`, `add a DNS record for ${name} pointing to ${own[0] ?? seen.host} (Let's Encrypt needs it for ssl)`);
  }
  const match = addresses.filter((address) => own.includes(address));
  if (match.length > 0) return ok(label, `${name} resolves to this host (${match.join(", ")})`);
  return warn(label, `${name} resolves to ${addresses.join(", ")}, not to this host (${own.join(", ") || seen.host})`, `point ${name} at this host, unless a load balancer or CDN in front of it forwards here`);
}

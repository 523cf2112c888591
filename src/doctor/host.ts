// One host's checks: its key looked up before connecting (an unknown key is not recorded), then
// one round trip for the host probe over the run's shared SSH connection, then the Docker reads
// (Engine API requests over that connection, in parallel) and the names that should point here.
// Nothing is changed on the host.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { BatchStepResult } from "../commands/batch.js";
import { doctor as probes } from "../commands/index.js";
import { DEFAULT_DOCKER_ROOT } from "../commands/doctor.js";
import { PROXY_CONTAINER_NAME, type Configuration, type Registry } from "../config/index.js";
import { berthProxyImage, runsBerthProxy } from "../deploy/proxy-image.js";
import { sshLookupSettings } from "../deploy/connection.js";
import type { Run } from "../deploy/run.js";
import { DockerApiClient, daemonError } from "../transport/docker-api.js";
import { knownHostStatus, type KnownHostStatus } from "../transport/known-hosts.js";
import { fail, messageOf, skip, type CheckGroup } from "./checks.js";
import { hostChecks, type DockerReads, type HostExpectations, type NameResolution, type RegistryOutcome } from "./host-checks.js";
import { parseDiskFree, parseHostProbe, type ContainerDocument, type DockerInfo, type HostFacts } from "./host-facts.js";

const NETWORK = "kamal";
const NAME_LOOKUP_TIMEOUT_MS = 3000;
const AUTH_TIMEOUT_MS = 15_000;

export interface HostSettings {
  readonly minFreeDiskBytes: number;
  readonly maxClockSkewMs: number;
}

export async function checkHost(run: Run, host: string, settings: HostSettings): Promise<CheckGroup> {
  const known = await lookUpHostKey(run, host);
  if (known !== undefined && known.knownIn === undefined && !/^(no|off|false)$/i.test(known.strictHostKeyChecking)) {
    const files = known.files.join(", ") || "no known_hosts file";
    return {
      where: host,
      checks: [
        fail("ssh", `the host key of ${known.lookupName} is not known (looked in ${files}); a deploy would trust the first key it is shown`, `check the key's fingerprint with whoever runs the server, then add it: ssh-keyscan -p ${known.port} ${known.hostname} >> ~/.ssh/known_hosts`),
        skip("checks", "the rest of this host is not checked before its key is known"),
      ],
    };
  }
  let results: BatchStepResult[];
  try {
    results = await run.batch(host, probes.hostProbe(), { level: "debug" });
  } catch (error) {
    return { where: host, checks: [fail("ssh", messageOf(error), "the rest of this host is checked once Berth can connect"), skip("checks", "the rest of this host needs the SSH connection")] };
  }
  const answeredAt = Date.now();
  const facts = parseHostProbe(results);
  const config = run.config;
  const [docker, names, own] = await Promise.all([dockerReads(run, host, facts), resolveProxyNames(config, host), ownAddresses(known?.hostname ?? host, facts)]);
  const disk = docker?.reads.root !== undefined && docker.reads.root !== DEFAULT_DOCKER_ROOT ? await diskUnder(run, host, docker.reads.root) : facts.disk;
  const expected: HostExpectations = { proxy: expectedProxy(config, host), registries: registriesOn(config, host).map(serverName), ...settings };
  const checks = hostChecks(
    {
      host,
      known,
      facts,
      clockSkewMs: facts.clockMs === undefined ? undefined : facts.clockMs - answeredAt,
      docker: docker?.reads,
      disk,
      registries: docker?.registries ?? [],
      names,
      hostAddresses: own,
    },
    expected,
  );
  return { where: host, checks };
}

async function lookUpHostKey(run: Run, host: string): Promise<KnownHostStatus | undefined> {
  // key_data is left out: looking up a key needs no private key (and no secrets).
  const env = Object.fromEntries(Object.entries(run.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  try {
    return await knownHostStatus(sshLookupSettings(run.config.ssh), host, { ...process.env, ...env });
  } catch {
    return undefined; // an unreadable ssh.config: the connection reports it
  }
}

/** The proxy image and host ports this host's proxy should have, when anything here is proxied. */
function expectedProxy(config: Configuration, host: string): HostExpectations["proxy"] {
  if (!config.proxyHosts.includes(host)) return undefined;
  const proxyRun = config.proxyRun(host);
  const image = runsBerthProxy(config, host) ? berthProxyImage(config) : (proxyRun?.image ?? berthProxyImage(config));
  const ports = proxyRun === null ? [80, 443] : proxyRun.publish ? [proxyRun.httpPort, proxyRun.httpsPort] : [];
  return { image, ports };
}

interface DockerOutcome {
  readonly reads: DockerReads;
  readonly registries: RegistryOutcome[];
}

/** The daemon's facts by the API over the SSH connection, or by the docker CLI where it can't be reached. */
async function dockerReads(run: Run, host: string, facts: HostFacts): Promise<DockerOutcome | undefined> {
  if (facts.dockerVersion === undefined) return undefined;
  const registries = registriesOn(run.config, host);
  const client = await openApi(run, host, facts.dockerSocket);
  if (client !== undefined) {
    try {
      const [info, network, proxy, ...auths] = await Promise.all([
        client.request(probes.dockerInfo()),
        client.request(probes.inspectNetwork(NETWORK)),
        client.request(probes.inspectProxy(PROXY_CONTAINER_NAME)),
        ...registries.map((registry) => registryLogin(client, registry)),
      ]);
      const parsedInfo = info.status === 200 ? parseJson<DockerInfo>(info.body) : undefined;
      return {
        reads: {
          version: parsedInfo?.ServerVersion,
          root: parsedInfo?.DockerRootDir ?? DEFAULT_DOCKER_ROOT,
          network: network.status === 200 ? true : network.status === 404 ? false : undefined,
          proxy: proxy.status === 200 ? (parseJson<ContainerDocument>(proxy.body) ?? null) : null,
          via: "Docker API",
        },
        registries: auths,
      };
    } catch (error) {
      run.output.debug(`Docker API on ${host} failed (${messageOf(error)}): reading with the docker CLI`);
    }
  }
  const [info, network, proxy] = await run.batch(host, probes.dockerReadsByCli(NETWORK, PROXY_CONTAINER_NAME), { level: "debug" });
  const parsedInfo = info?.code === 0 ? parseJson<DockerInfo>(info.stdout) : undefined;
  const reason = client === undefined ? "the host's docker isn't reached through a unix socket Berth can forward" : "the Docker API failed";
  return {
    reads: {
      version: parsedInfo?.ServerVersion,
      root: parsedInfo?.DockerRootDir ?? DEFAULT_DOCKER_ROOT,
      network: network?.code === 0 ? true : /No such network|not found/i.test(network?.stderr ?? "") ? false : undefined,
      proxy: proxy?.code === 0 ? (parseJson<ContainerDocument[]>(proxy.stdout)?.[0] ?? null) : null,
      via: "docker CLI",
    },
    registries: registries.map((registry) => ({ server: serverName(registry), status: "unchecked", message: reason })),
  };
}

async function openApi(run: Run, host: string, socket: string | undefined): Promise<DockerApiClient | undefined> {
  if (socket === undefined || /^(off|false|0|no)$/i.test(run.env.BERTH_DOCKER_API ?? "")) return undefined;
  const local = await run.forwardSocket(host, socket).catch(() => undefined);
  if (local === undefined) return undefined;
  const client = new DockerApiClient(local);
  run.onExit(() => client.close());
  return client;
}

/** The registries this host pulls from: the app's (app and proxy images), and its accessories' own. */
function registriesOn(config: Configuration, host: string): Registry[] {
  const registries: Registry[] = [];
  if ((config.appHosts.includes(host) || config.proxyHosts.includes(host)) && !config.registry.local) registries.push(config.registry);
  for (const accessory of config.accessoriesOn(host)) {
    const registry = accessory.registry;
    if (registry !== null && !registry.local && !registries.some((known) => known.server === registry.server)) registries.push(registry);
  }
  return registries;
}

function serverName(registry: Registry): string {
  return registry.server ?? "Docker Hub";
}

async function registryLogin(client: DockerApiClient, registry: Registry): Promise<RegistryOutcome> {
  const server = serverName(registry);
  let call;
  try {
    call = probes.registryAuth(registry.server, registry.username(), registry.password());
  } catch (error) {
    return { server, status: "unchecked", message: `the credentials can't be read: ${messageOf(error)}` };
  }
  const reply = await client.request(call, { timeoutMs: AUTH_TIMEOUT_MS }).catch((error: unknown) => ({ status: 0, body: messageOf(error) }));
  if (reply.status === 200) return { server, status: "ok" };
  return { server, status: "refused", message: reply.status === 0 ? reply.body : daemonError(reply).replace(/^Error response from daemon: /, "") };
}

async function diskUnder(run: Run, host: string, root: string): Promise<ReturnType<typeof parseDiskFree>> {
  const result = await run.exec(host, probes.diskFree(root), { level: "debug", allowFailure: true }).catch(() => undefined);
  return result?.code === 0 ? parseDiskFree(result.stdout) : undefined;
}

/** Each `proxy.host` of the roles (and accessories) proxied on this host, resolved here. */
async function resolveProxyNames(config: Configuration, host: string): Promise<NameResolution[]> {
  const proxies = [...config.rolesOn(host).map((role) => role.proxy), ...config.accessoriesOn(host).map((accessory) => accessory.proxy)];
  const names = [...new Set(proxies.flatMap((proxy) => proxy?.hosts ?? []))].filter((name) => !name.includes("*"));
  return Promise.all(names.map(async (name) => ({ name, addresses: await resolve(name) })));
}

async function resolve(name: string): Promise<string[] | undefined> {
  if (isIP(name) !== 0) return [name];
  const timeout = new Promise<undefined>((done) => setTimeout(() => done(undefined), NAME_LOOKUP_TIMEOUT_MS).unref());
  const found = lookup(name, { all: true }).then((entries) => entries.map((entry) => entry.address), () => undefined);
  return Promise.race([found, timeout]);
}

/** The host's addresses: its interfaces' (hostname -I) and what its configured name resolves to. */
async function ownAddresses(hostname: string, facts: HostFacts): Promise<string[]> {
  const configured = (await resolve(hostname)) ?? [];
  return [...new Set([...configured, ...facts.addresses])];
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

// Service and target options: kamal-proxy's names, defaults and validation rules. Durations
// are milliseconds here; the state file stores Go nanoseconds (see state.ts).

export const DEFAULT_DEPLOY_TIMEOUT_MS = 30_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_PAUSE_TIMEOUT_MS = 30_000;
export const DEFAULT_WRITER_AFFINITY_TIMEOUT_MS = 1_000;
export const DEFAULT_HEALTH_CHECK_PATH = "/up";
export const DEFAULT_HEALTH_CHECK_INTERVAL_MS = 1_000;
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 5_000;
export const DEFAULT_TARGET_TIMEOUT_MS = 30_000;
export const DEFAULT_BUFFER_MEMORY = 1 << 20;
export const ACME_STAGING_DIRECTORY_URL = "https://acme-staging-v02.api.letsencrypt.org/directory";
export const ACME_PRODUCTION_DIRECTORY_URL = "https://acme-v02.api.letsencrypt.org/directory";

export interface HealthCheckConfig {
  path: string;
  /** 0 = the target's own port. */
  port: number;
  intervalMs: number;
  timeoutMs: number;
  /** Host header to send; "" = the target address. */
  host: string;
}

export interface ServiceOptions {
  hosts: string[];
  pathPrefixes: string[];
  tlsEnabled: boolean;
  tlsCertificatePath: string;
  tlsPrivateKeyPath: string;
  tlsRedirect: boolean;
  acmeDirectory: string;
  acmeCachePath: string;
  errorPagePath: string;
  stripPrefix: boolean;
  writerAffinityTimeoutMs: number;
  readTargetsAcceptWebsockets: boolean;
  canonicalHost: string;
}

export interface TargetOptions {
  healthCheck: HealthCheckConfig;
  responseTimeoutMs: number;
  bufferRequests: boolean;
  bufferResponses: boolean;
  maxMemoryBufferSize: number;
  maxRequestBodySize: number;
  maxResponseBodySize: number;
  logRequestHeaders: string[];
  logResponseHeaders: string[];
  forwardHeaders: boolean;
}

export interface DeployArgs {
  service: string;
  targets: string[];
  readers: string[];
  deployTimeoutMs: number;
  drainTimeoutMs: number;
  force: boolean;
  serviceOptions: ServiceOptions;
  targetOptions: TargetOptions;
}

export function defaultServiceOptions(): ServiceOptions {
  return {
    hosts: [],
    pathPrefixes: ["/"],
    tlsEnabled: false,
    tlsCertificatePath: "",
    tlsPrivateKeyPath: "",
    tlsRedirect: true,
    acmeDirectory: ACME_PRODUCTION_DIRECTORY_URL,
    acmeCachePath: "",
    errorPagePath: "",
    stripPrefix: true,
    writerAffinityTimeoutMs: DEFAULT_WRITER_AFFINITY_TIMEOUT_MS,
    readTargetsAcceptWebsockets: false,
    canonicalHost: "",
  };
}

export function defaultTargetOptions(): TargetOptions {
  return {
    healthCheck: {
      path: DEFAULT_HEALTH_CHECK_PATH,
      port: 0,
      intervalMs: DEFAULT_HEALTH_CHECK_INTERVAL_MS,
      timeoutMs: DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
      host: "",
    },
    responseTimeoutMs: DEFAULT_TARGET_TIMEOUT_MS,
    bufferRequests: false,
    bufferResponses: false,
    maxMemoryBufferSize: DEFAULT_BUFFER_MEMORY,
    maxRequestBodySize: 0,
    maxResponseBodySize: 0,
    logRequestHeaders: [],
    logResponseHeaders: [],
    forwardHeaders: true,
  };
}

export function normalizeHosts(hosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const host of hosts) {
    const trimmed = host.trim().toLowerCase();
    if (trimmed !== "" && !out.includes(trimmed)) out.push(trimmed);
  }
  return out;
}

export function normalizePathPrefixes(prefixes: readonly string[]): string[] {
  const out: string[] = [];
  for (const prefix of prefixes) {
    let value = prefix.trim();
    if (value === "") continue;
    if (!value.startsWith("/")) value = "/" + value;
    while (value.length > 1 && value.endsWith("/")) value = value.slice(0, -1);
    if (!out.includes(value)) out.push(value);
  }
  return out.length === 0 ? ["/"] : out;
}

export function normalizeServiceOptions(options: ServiceOptions): ServiceOptions {
  return {
    ...options,
    hosts: normalizeHosts(options.hosts),
    pathPrefixes: normalizePathPrefixes(options.pathPrefixes),
    canonicalHost: options.canonicalHost.trim().toLowerCase(),
  };
}

const TARGET_PATTERN = /^(\w[-_.\w+]+)(:\d+)?$/;

export interface TargetAddress {
  name: string;
  host: string;
  port: number;
}

export function parseTargetAddress(target: string): TargetAddress {
  const match = TARGET_PATTERN.exec(target);
  if (!match) throw new Error(`invalid target address ${JSON.stringify(target)} (expected host[:port], no scheme)`);
  const port = match[2] === undefined ? 80 : Number(match[2].slice(1));
  if (port < 1 || port > 65535) throw new Error(`invalid target port in ${JSON.stringify(target)}`);
  return { name: target, host: match[1]!, port };
}

/** Server-side checks (kamal-proxy's ServiceOptions validation); returns the error or null. */
export function validateDeploy(args: DeployArgs): string | null {
  if (!/^\w[\w.-]*$/.test(args.service)) return `invalid service name ${JSON.stringify(args.service)}`;
  if (args.targets.length === 0) return "at least one target is required";
  for (const target of [...args.targets, ...args.readers]) {
    try {
      parseTargetAddress(target);
    } catch (error) {
      return (error as Error).message;
    }
  }
  const options = args.serviceOptions;
  for (const host of options.hosts) {
    if (host.includes("*") && !/^\*\.[^*]+$/.test(host)) return `invalid wildcard host ${JSON.stringify(host)} (only a leading "*." is allowed)`;
  }
  if (options.tlsEnabled) {
    if (options.hosts.length === 0) return "host must be set when using TLS";
    if (!options.pathPrefixes.includes("/")) return "TLS settings must be specified on the root path service";
    const custom = options.tlsCertificatePath !== "" || options.tlsPrivateKeyPath !== "";
    if (custom && (options.tlsCertificatePath === "" || options.tlsPrivateKeyPath === "")) {
      return "tls-certificate-path and tls-private-key-path must be set together";
    }
    if (!custom && options.hosts.some((host) => host.includes("*"))) return "automatic TLS does not support wildcards";
  }
  if (options.canonicalHost !== "" && !options.hosts.includes(options.canonicalHost)) {
    return "canonical host must be one of the service's hosts";
  }
  const target = args.targetOptions;
  if (target.maxRequestBodySize < 0 || target.maxResponseBodySize < 0 || target.maxMemoryBufferSize < 0) {
    return "buffer sizes must not be negative";
  }
  if (target.healthCheck.intervalMs <= 0) return "health-check-interval must be positive";
  if (target.healthCheck.timeoutMs <= 0) return "health-check-timeout must be positive";
  if (!target.healthCheck.path.startsWith("/")) return "health-check-path must start with /";
  return null;
}

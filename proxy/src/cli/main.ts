// kamal-proxy's command line: the same verbs, flags, defaults and preRun checks, so Kamal's
// `docker exec kamal-proxy kamal-proxy deploy …` works unchanged. All verbs but `run` are thin
// clients of the control socket.
import { callControl, socketWaitMs } from "../control/client.js";
import { certificatePath, socketPath } from "../control/protocol.js";
import {
  ACME_STAGING_DIRECTORY_URL,
  DEFAULT_BUFFER_MEMORY,
  DEFAULT_DEPLOY_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HEALTH_CHECK_INTERVAL_MS,
  DEFAULT_HEALTH_CHECK_PATH,
  DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
  DEFAULT_PAUSE_TIMEOUT_MS,
  DEFAULT_TARGET_TIMEOUT_MS,
  DEFAULT_WRITER_AFFINITY_TIMEOUT_MS,
  defaultServiceOptions,
  normalizeHosts,
  normalizePathPrefixes,
  type DeployArgs,
} from "../server/options.js";
import type { ServiceDescription } from "../server/router.js";
import { VERSION } from "../version.js";
import { FlagError, flagHelp, parseFlags, type FlagSpec, type ParsedFlags } from "./flags.js";

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTty: boolean;
}

const dur = (name: string, defaultMs: number, help: string): FlagSpec => ({ name, type: "duration", default: defaultMs, help });

export const RUN_FLAGS: FlagSpec[] = [
  { name: "debug", type: "bool", env: ["KAMAL_PROXY_DEBUG", "DEBUG"], help: "Include debugging logs" },
  { name: "http-port", type: "int", default: 80, env: ["KAMAL_PROXY_HTTP_PORT", "HTTP_PORT"], help: "Port to serve HTTP traffic on" },
  { name: "https-port", type: "int", default: 443, env: ["KAMAL_PROXY_HTTPS_PORT", "HTTPS_PORT"], help: "Port to serve HTTPS traffic on" },
  { name: "metrics-port", type: "int", default: 0, env: ["KAMAL_PROXY_METRICS_PORT", "METRICS_PORT"], help: "Publish metrics on the specified port (default zero to disable)" },
  { name: "http3", type: "bool", help: "Enable HTTP/3 (not available in this proxy; ignored with a warning)" },
  { name: "tls-acme-directory", type: "string", env: ["KAMAL_PROXY_ACME_DIRECTORY"], help: "ACME directory URL used instead of Let's Encrypt (e.g. a private CA or pebble)" },
  { name: "tls-acme-ca", type: "string", env: ["KAMAL_PROXY_ACME_CA"], help: "PEM CA bundle trusted when talking to the ACME directory" },
];

export const DEPLOY_FLAGS: FlagSpec[] = [
  { name: "target", type: "strings", help: "Target host(s) to deploy" },
  { name: "read-target", type: "strings", help: "Read-only target host(s) to deploy" },
  { name: "host", type: "strings", help: "Host(s) to serve this target on (empty for wildcard)" },
  { name: "path-prefix", type: "strings", help: "Deploy the service below the specified path(s)" },
  { name: "strip-path-prefix", type: "bool", default: true, help: "With --path-prefix, strip prefix from request before forwarding" },
  { name: "tls", type: "bool", help: "Configure TLS for this target (requires a non-empty host)" },
  { name: "tls-staging", type: "bool", help: "Use Let's Encrypt staging environment for certificate provisioning" },
  { name: "tls-certificate-path", type: "string", help: "Configure custom TLS certificate path (PEM format)" },
  { name: "tls-private-key-path", type: "string", help: "Configure custom TLS private key path (PEM format)" },
  { name: "tls-acme-cache-path", type: "string", help: "Directory for ACME certificates (default ~/.config/kamal-proxy/certs)" },
  { name: "tls-redirect", type: "bool", default: true, help: "Redirect HTTP traffic to HTTPS" },
  { name: "tls-on-demand-url", type: "string", help: "Issue certificates on demand", unsupported: "on-demand TLS is not implemented in this proxy" },
  { name: "canonical-host", type: "string", help: "Redirect requests for the service's other hosts to this host" },
  dur("deploy-timeout", DEFAULT_DEPLOY_TIMEOUT_MS, "Maximum time to wait for the new target to become healthy"),
  dur("drain-timeout", DEFAULT_DRAIN_TIMEOUT_MS, "Maximum time to allow existing connections to drain before removing old target"),
  dur("health-check-interval", DEFAULT_HEALTH_CHECK_INTERVAL_MS, "Interval between health checks"),
  dur("health-check-timeout", DEFAULT_HEALTH_CHECK_TIMEOUT_MS, "Time each health check must complete in"),
  { name: "health-check-path", type: "string", default: DEFAULT_HEALTH_CHECK_PATH, help: "Path to check for health" },
  { name: "health-check-port", type: "int", default: 0, help: "Port to check for health (default matches target port)" },
  { name: "health-check-host", type: "string", help: "Host header to send with health checks" },
  dur("writer-affinity-timeout", DEFAULT_WRITER_AFFINITY_TIMEOUT_MS, "Time after a write before read requests will be routed to readers"),
  { name: "read-target-websockets", type: "bool", help: "Route WebSocket traffic to read targets, when available" },
  dur("target-timeout", DEFAULT_TARGET_TIMEOUT_MS, "Maximum time to wait for the target server to respond when serving requests"),
  { name: "buffer-requests", type: "bool", help: "Buffer requests before forwarding to target" },
  { name: "buffer-responses", type: "bool", help: "Buffer responses before forwarding to client" },
  { name: "buffer-memory", type: "int", default: DEFAULT_BUFFER_MEMORY, help: "Max size of memory buffer" },
  { name: "max-request-body", type: "int", default: 0, help: "Max size of request body when buffering (default of 0 means unlimited)" },
  { name: "max-response-body", type: "int", default: 0, help: "Max size of response body when buffering (default of 0 means unlimited)" },
  { name: "error-pages", type: "string", help: "Path to custom error pages" },
  { name: "log-request-header", type: "strings", help: "Additional request header to log (may be specified multiple times)" },
  { name: "log-response-header", type: "strings", help: "Additional response header to log (may be specified multiple times)" },
  { name: "forward-headers", type: "bool", help: "Forward X-Forwarded headers to target (default false if TLS enabled; otherwise true)" },
  { name: "force", type: "bool", help: "Skip health checks and switch at once" },
  { name: "client-ip-header", type: "string", help: "Header carrying the client IP", unsupported: "not implemented in this proxy" },
  { name: "scope-cookie-paths", type: "bool", help: "Scope cookie paths to the path prefix", unsupported: "not implemented in this proxy" },
  { name: "exclude-metrics-path", type: "strings", help: "Paths left out of metrics", unsupported: "not implemented in this proxy" },
];

const DRAIN_FLAG = dur("drain-timeout", DEFAULT_DRAIN_TIMEOUT_MS, "Maximum time to allow existing connections to drain");
const PAUSE_FLAGS: FlagSpec[] = [DRAIN_FLAG, dur("max-pause", DEFAULT_PAUSE_TIMEOUT_MS, "Maximum time to pause for")];
const STOP_FLAGS: FlagSpec[] = [DRAIN_FLAG, { name: "message", type: "string", help: "Message to show on the maintenance page" }];
const ROLLOUT_DEPLOY_FLAGS: FlagSpec[] = [
  { name: "target", type: "strings", help: "Target host(s) to deploy" },
  { name: "read-target", type: "strings", help: "Read-only target host(s) to deploy" },
  dur("deploy-timeout", DEFAULT_DEPLOY_TIMEOUT_MS, "Maximum time to wait for the new target to become healthy"),
  dur("drain-timeout", DEFAULT_DRAIN_TIMEOUT_MS, "Maximum time to allow existing connections to drain before removing old target"),
];
const ROLLOUT_SET_FLAGS: FlagSpec[] = [
  { name: "percent", type: "int", default: 0, help: "Percentage of requests to send to the rollout target" },
  { name: "list", type: "strings", help: "kamal-rollout cookie values that always use the rollout target" },
];

interface Command {
  names: string[];
  usage: string;
  short: string;
  flags: FlagSpec[];
  args: number;
  run(flags: ParsedFlags, io: CliIo): Promise<number>;
}

const str = (flags: ParsedFlags, name: string): string => flags.values[name] as string;
const num = (flags: ParsedFlags, name: string): number => flags.values[name] as number;
const bool = (flags: ParsedFlags, name: string): boolean => flags.values[name] as boolean;
const list = (flags: ParsedFlags, name: string): string[] => flags.values[name] as string[];

/** Turns parsed `deploy` flags into the request, applying kamal-proxy's preRun rules. */
export function buildDeployArgs(flags: ParsedFlags, env: NodeJS.ProcessEnv): DeployArgs {
  const service = flags.positionals[0]!;
  if (!flags.changed.has("target")) throw new FlagError(`required flag(s) "target" not set`);
  const hasCert = flags.changed.has("tls-certificate-path");
  const hasKey = flags.changed.has("tls-private-key-path");
  if (hasCert !== hasKey) {
    throw new FlagError("if any flags in the group [tls-certificate-path tls-private-key-path] are set they must all be set; missing [" + (hasCert ? "tls-private-key-path" : "tls-certificate-path") + "]");
  }
  if (flags.changed.has("max-request-body") && !flags.changed.has("buffer-requests")) {
    throw new FlagError("max-request-body can only be set when request buffering is enabled");
  }
  if (flags.changed.has("max-response-body") && !flags.changed.has("buffer-responses")) {
    throw new FlagError("max-response-body can only be set when response buffering is enabled");
  }
  const tls = bool(flags, "tls");
  const hosts = normalizeHosts(list(flags, "host"));
  const pathPrefixes = normalizePathPrefixes(list(flags, "path-prefix"));
  if (tls) {
    if (hosts.length === 0) throw new FlagError("host must be set when using TLS");
    if (!pathPrefixes.includes("/")) throw new FlagError("TLS settings must be specified on the root path service");
  }
  const defaults = defaultServiceOptions();
  return {
    service,
    targets: list(flags, "target"),
    readers: list(flags, "read-target"),
    deployTimeoutMs: num(flags, "deploy-timeout"),
    drainTimeoutMs: num(flags, "drain-timeout"),
    force: bool(flags, "force"),
    serviceOptions: {
      hosts,
      pathPrefixes,
      tlsEnabled: tls,
      tlsCertificatePath: str(flags, "tls-certificate-path"),
      tlsPrivateKeyPath: str(flags, "tls-private-key-path"),
      tlsRedirect: bool(flags, "tls-redirect"),
      acmeDirectory: tls && bool(flags, "tls-staging") ? ACME_STAGING_DIRECTORY_URL : defaults.acmeDirectory,
      acmeCachePath: tls ? str(flags, "tls-acme-cache-path") || certificatePath(env) : "",
      errorPagePath: str(flags, "error-pages"),
      stripPrefix: bool(flags, "strip-path-prefix"),
      writerAffinityTimeoutMs: num(flags, "writer-affinity-timeout"),
      readTargetsAcceptWebsockets: bool(flags, "read-target-websockets"),
      canonicalHost: str(flags, "canonical-host"),
    },
    targetOptions: {
      healthCheck: {
        path: str(flags, "health-check-path"),
        port: num(flags, "health-check-port"),
        intervalMs: num(flags, "health-check-interval"),
        timeoutMs: num(flags, "health-check-timeout"),
        host: str(flags, "health-check-host"),
      },
      responseTimeoutMs: num(flags, "target-timeout"),
      bufferRequests: bool(flags, "buffer-requests"),
      bufferResponses: bool(flags, "buffer-responses"),
      maxMemoryBufferSize: num(flags, "buffer-memory"),
      maxRequestBodySize: num(flags, "max-request-body"),
      maxResponseBodySize: num(flags, "max-response-body"),
      logRequestHeaders: list(flags, "log-request-header"),
      logResponseHeaders: list(flags, "log-response-header"),
      forwardHeaders: flags.changed.has("forward-headers") ? bool(flags, "forward-headers") : !tls,
    },
  };
}

const client = (io: CliIo, command: Parameters<typeof callControl>[1], body: unknown): Promise<Record<string, unknown>> =>
  callControl(socketPath(io.env), command, body, socketWaitMs(io.env));

const COMMANDS: Command[] = [
  {
    names: ["run"],
    usage: "run",
    short: "Run the server",
    flags: RUN_FLAGS,
    args: 0,
    // The server (and TLS) modules load only for `run`: the client commands Berth sends through
    // `docker exec` on every deploy start faster without them.
    run: async (flags, io) =>
      (await import("./run.js")).runServer(
        {
          debug: bool(flags, "debug"),
          httpPort: num(flags, "http-port"),
          httpsPort: num(flags, "https-port"),
          metricsPort: num(flags, "metrics-port"),
          http3: bool(flags, "http3"),
          acmeDirectory: str(flags, "tls-acme-directory"),
          acmeCaBundlePath: str(flags, "tls-acme-ca"),
        },
        io,
      ),
  },
  {
    names: ["deploy"],
    usage: "deploy <service>",
    short: "Deploy a target host",
    flags: DEPLOY_FLAGS,
    args: 1,
    run: async (flags, io) => {
      await client(io, "deploy", buildDeployArgs(flags, io.env));
      return 0;
    },
  },
  {
    names: ["remove", "rm"],
    usage: "remove <service>",
    short: "Remove the service",
    flags: [],
    args: 1,
    run: async (flags, io) => {
      await client(io, "remove", { service: flags.positionals[0] });
      return 0;
    },
  },
  {
    names: ["pause"],
    usage: "pause <service>",
    short: "Pause a service",
    flags: PAUSE_FLAGS,
    args: 1,
    run: async (flags, io) => {
      await client(io, "pause", { service: flags.positionals[0], drainTimeoutMs: num(flags, "drain-timeout"), pauseTimeoutMs: num(flags, "max-pause") });
      return 0;
    },
  },
  {
    names: ["stop"],
    usage: "stop <service>",
    short: "Stop a service",
    flags: STOP_FLAGS,
    args: 1,
    run: async (flags, io) => {
      await client(io, "stop", { service: flags.positionals[0], drainTimeoutMs: num(flags, "drain-timeout"), message: str(flags, "message") });
      return 0;
    },
  },
  {
    names: ["resume"],
    usage: "resume <service>",
    short: "Resume a service",
    flags: [],
    args: 1,
    run: async (flags, io) => {
      await client(io, "resume", { service: flags.positionals[0] });
      return 0;
    },
  },
  {
    names: ["list", "ls"],
    usage: "list",
    short: "List the services currently running",
    flags: [],
    args: 0,
    run: async (_flags, io) => {
      const answer = await client(io, "list", {});
      io.out(formatList(answer.services as ServiceDescription[], io.isTty));
      return 0;
    },
  },
  {
    names: ["version"],
    usage: "version",
    short: "Show the version of this client and of the running server",
    flags: [],
    args: 0,
    run: async (_flags, io) => {
      io.out(`Client: ${VERSION}\n`);
      try {
        const answer = await client(io, "version", {});
        io.out(`Server: ${String(answer.version)}\n`);
      } catch {
        io.out("Server: not running\n");
      }
      return 0;
    },
  },
];

const ROLLOUT_COMMANDS: Command[] = [
  {
    names: ["deploy"],
    usage: "rollout deploy <service>",
    short: "Deploy a target host for rollout",
    flags: ROLLOUT_DEPLOY_FLAGS,
    args: 1,
    run: async (flags, io) => {
      if (!flags.changed.has("target")) throw new FlagError(`required flag(s) "target" not set`);
      await client(io, "rollout-deploy", {
        service: flags.positionals[0],
        targets: list(flags, "target"),
        readers: list(flags, "read-target"),
        deployTimeoutMs: num(flags, "deploy-timeout"),
        drainTimeoutMs: num(flags, "drain-timeout"),
      });
      return 0;
    },
  },
  {
    names: ["set"],
    usage: "rollout set <service>",
    short: "Set the rollout split",
    flags: ROLLOUT_SET_FLAGS,
    args: 1,
    run: async (flags, io) => {
      if (!flags.changed.has("percent") && !flags.changed.has("list")) throw new FlagError("at least one of the flags in the group [percent list] is required");
      await client(io, "rollout-set", { service: flags.positionals[0], percent: num(flags, "percent"), allowlist: list(flags, "list") });
      return 0;
    },
  },
  {
    names: ["stop"],
    usage: "rollout stop <service>",
    short: "Stop the rollout",
    flags: [],
    args: 1,
    run: async (flags, io) => {
      await client(io, "rollout-stop", { service: flags.positionals[0] });
      return 0;
    },
  },
];

export function formatList(services: readonly ServiceDescription[], color: boolean): string {
  const cell = (text: string, width: number, style: string): string => {
    const padded = (text + " ".repeat(Math.max(0, width - text.length))).slice(0, width);
    return color && style !== "" ? `\u001b[${style}m${padded}\u001b[0m` : padded;
  };
  const italic = "3;94";
  const bold = "1;34";
  let out =
    cell("Service", 30, italic) + cell("Host", 30, italic) + cell("Path", 30, italic) + cell("Target", 30, italic) +
    cell("State", 10, italic) + cell("TLS", 10, italic);
  out = out.trimEnd() + "\n";
  for (const service of services) {
    const row =
      cell(service.service, 30, bold) + cell(service.host, 30, "") + cell(service.path, 30, "") + cell(service.target, 30, "") +
      cell(service.state, 10, "") + cell(service.tls ? "yes" : "no", 10, "");
    out += row.trimEnd() + "\n";
  }
  return out;
}

function usage(commands: readonly Command[], prefix: string): string {
  return (
    `Usage:\n  kamal-proxy ${prefix}[command]\n\nAvailable Commands:\n` +
    commands.map((command) => `  ${command.names[0]!.padEnd(12)} ${command.short}`).join("\n") +
    (prefix === "" ? `\n  ${"rollout".padEnd(12)} Manage rollouts` : "") +
    "\n"
  );
}

function commandHelp(command: Command): string {
  return `${command.short}\n\nUsage:\n  kamal-proxy ${command.usage} [flags]\n${command.names.length > 1 ? `\nAliases:\n  ${command.names.join(", ")}\n` : ""}\nFlags:\n${flagHelp(command.flags)}\n`;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let commands = COMMANDS;
  let rest = argv;
  let prefix = "";
  if (rest[0] === "rollout") {
    commands = ROLLOUT_COMMANDS;
    rest = rest.slice(1);
    prefix = "rollout ";
  }
  const name = rest[0];
  if (name === undefined || name === "help" || name === "-h" || name === "--help") {
    io.out(usage(commands, prefix));
    return 0;
  }
  if (name === "--version") {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.names.includes(name));
  if (command === undefined) {
    io.err(`Error: unknown command "${name}" for "kamal-proxy${prefix === "" ? "" : " rollout"}"\nRun 'kamal-proxy ${prefix}--help' for usage.\n`);
    return 1;
  }
  try {
    const flags = parseFlags(rest.slice(1), command.flags, io.env);
    if (flags.help) {
      io.out(commandHelp(command));
      return 0;
    }
    if (flags.positionals.length !== command.args) {
      throw new FlagError(`accepts ${command.args} arg(s), received ${flags.positionals.length}`);
    }
    return await command.run(flags, io);
  } catch (error) {
    io.err(`Error: ${(error as Error).message}\n`);
    if (error instanceof FlagError) io.err(`\n${commandHelp(command)}`);
    return 1;
  }
}

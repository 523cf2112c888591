// `kamal-proxy deploy`'s flags as the control request, with kamal-proxy's preRun checks.
import { certificatePath } from "../control/protocol.js";
import { ACME_STAGING_DIRECTORY_URL, defaultServiceOptions, normalizeHosts, normalizePathPrefixes, type DeployArgs } from "../server/options.js";
import { boolFlag, FlagError, listFlag, numberFlag, stringFlag, type ParsedFlags } from "./flags.js";

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
  const tls = boolFlag(flags, "tls");
  const hosts = normalizeHosts(listFlag(flags, "host"));
  const pathPrefixes = normalizePathPrefixes(listFlag(flags, "path-prefix"));
  if (tls) {
    if (hosts.length === 0) throw new FlagError("host must be set when using TLS");
    if (!pathPrefixes.includes("/")) throw new FlagError("TLS settings must be specified on the root path service");
  }
  const defaults = defaultServiceOptions();
  return {
    service,
    targets: listFlag(flags, "target"),
    readers: listFlag(flags, "read-target"),
    deployTimeoutMs: numberFlag(flags, "deploy-timeout"),
    drainTimeoutMs: numberFlag(flags, "drain-timeout"),
    force: boolFlag(flags, "force"),
    serviceOptions: {
      hosts,
      pathPrefixes,
      tlsEnabled: tls,
      tlsCertificatePath: stringFlag(flags, "tls-certificate-path"),
      tlsPrivateKeyPath: stringFlag(flags, "tls-private-key-path"),
      tlsRedirect: boolFlag(flags, "tls-redirect"),
      acmeDirectory: tls && boolFlag(flags, "tls-staging") ? ACME_STAGING_DIRECTORY_URL : defaults.acmeDirectory,
      acmeCachePath: tls ? stringFlag(flags, "tls-acme-cache-path") || certificatePath(env) : "",
      errorPagePath: stringFlag(flags, "error-pages"),
      stripPrefix: boolFlag(flags, "strip-path-prefix"),
      writerAffinityTimeoutMs: numberFlag(flags, "writer-affinity-timeout"),
      readTargetsAcceptWebsockets: boolFlag(flags, "read-target-websockets"),
      canonicalHost: stringFlag(flags, "canonical-host"),
    },
    targetOptions: {
      healthCheck: {
        path: stringFlag(flags, "health-check-path"),
        port: numberFlag(flags, "health-check-port"),
        intervalMs: numberFlag(flags, "health-check-interval"),
        timeoutMs: numberFlag(flags, "health-check-timeout"),
        host: stringFlag(flags, "health-check-host"),
      },
      responseTimeoutMs: numberFlag(flags, "target-timeout"),
      bufferRequests: boolFlag(flags, "buffer-requests"),
      bufferResponses: boolFlag(flags, "buffer-responses"),
      maxMemoryBufferSize: numberFlag(flags, "buffer-memory"),
      maxRequestBodySize: numberFlag(flags, "max-request-body"),
      maxResponseBodySize: numberFlag(flags, "max-response-body"),
      logRequestHeaders: listFlag(flags, "log-request-header"),
      logResponseHeaders: listFlag(flags, "log-response-header"),
      forwardHeaders: flags.changed.has("forward-headers") ? boolFlag(flags, "forward-headers") : !tls,
    },
  };
}

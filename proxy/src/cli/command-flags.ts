// The flags of each kamal-proxy verb, with kamal-proxy's names, defaults, environment variables
// and help texts.
import {
  DEFAULT_BUFFER_MEMORY,
  DEFAULT_DEPLOY_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HEALTH_CHECK_INTERVAL_MS,
  DEFAULT_HEALTH_CHECK_PATH,
  DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
  DEFAULT_PAUSE_TIMEOUT_MS,
  DEFAULT_TARGET_TIMEOUT_MS,
  DEFAULT_WRITER_AFFINITY_TIMEOUT_MS,
} from "../server/options.js";
import type { FlagSpec } from "./flags.js";

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
export const PAUSE_FLAGS: FlagSpec[] = [DRAIN_FLAG, dur("max-pause", DEFAULT_PAUSE_TIMEOUT_MS, "Maximum time to pause for")];
export const STOP_FLAGS: FlagSpec[] = [DRAIN_FLAG, { name: "message", type: "string", help: "Message to show on the maintenance page" }];
export const ROLLOUT_DEPLOY_FLAGS: FlagSpec[] = [
  { name: "target", type: "strings", help: "Target host(s) to deploy" },
  { name: "read-target", type: "strings", help: "Read-only target host(s) to deploy" },
  dur("deploy-timeout", DEFAULT_DEPLOY_TIMEOUT_MS, "Maximum time to wait for the new target to become healthy"),
  dur("drain-timeout", DEFAULT_DRAIN_TIMEOUT_MS, "Maximum time to allow existing connections to drain before removing old target"),
];
export const ROLLOUT_SET_FLAGS: FlagSpec[] = [
  { name: "percent", type: "int", default: 0, help: "Percentage of requests to send to the rollout target" },
  { name: "list", type: "strings", help: "kamal-rollout cookie values that always use the rollout target" },
];

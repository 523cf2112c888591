// One target's health probe: GET <path> with User-Agent kamal-proxy; 2xx is healthy. Each
// result is kept as a sentence so a failed deploy can say why ("GET /up returned 301 …").
import http from "node:http";
import type { NameResolver } from "./name-resolver.js";
import type { HealthCheckConfig } from "./options.js";

export interface ProbeResult {
  healthy: boolean;
  /** e.g. "GET /up returned 200", "GET /up failed: connection refused". */
  detail: string;
}

const MAX_REDIRECTS = 5;

/** One check; the name lookup counts towards the check's timeout. */
export function probe(host: string, port: number, config: HealthCheckConfig, resolver: NameResolver): Promise<ProbeResult> {
  const checkPort = config.port > 0 ? config.port : port;
  return probePath(host, checkPort, config, config.path, 0, resolver);
}

function probePath(host: string, port: number, config: HealthCheckConfig, path: string, redirects: number, resolver: NameResolver): Promise<ProbeResult> {
  const label = `GET ${path}`;
  return new Promise((resolve) => {
    let settled = false;
    let request: http.ClientRequest | null = null;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish({ healthy: false, detail: `${label} timed out after ${config.timeoutMs}ms` });
      request?.destroy();
    }, config.timeoutMs);

    const onResponse = (response: http.IncomingMessage): void => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        finish({ healthy: true, detail: `${label} returned ${status}` });
        return;
      }
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        const next = sameTargetPath(location, host, port, config.host);
        if (next !== null && redirects < MAX_REDIRECTS) {
          clearTimeout(timer);
          settled = true;
          void probePath(host, port, config, next, redirects + 1, resolver).then(resolve);
          return;
        }
        finish({ healthy: false, detail: `${label} returned ${status} (redirect to ${location})` });
        return;
      }
      finish({ healthy: false, detail: `${label} returned ${status}` });
    };
    const onError = (error: NodeJS.ErrnoException): void => finish({ healthy: false, detail: `${label} failed: ${describeError(error)}` });

    resolver.lookup(host, (error, address) => {
      if (settled) return;
      if (error !== null) {
        onError(error);
        return;
      }
      const headers: Record<string, string> = { "User-Agent": "kamal-proxy", Connection: "close" };
      headers.Host = config.host !== "" ? config.host : port === 80 ? host : `${host}:${port}`;
      request = http.request({ host: address, port, path, method: "GET", headers, agent: false });
      request.on("response", onResponse);
      request.on("error", onError);
      request.end();
    });
  });
}

/** Follows only redirects that stay on the same target over plain HTTP (like a relative Location). */
function sameTargetPath(location: string, host: string, port: number, hostHeader: string): string | null {
  if (location.startsWith("/") && !location.startsWith("//")) return location;
  try {
    const url = new URL(location);
    if (url.protocol !== "http:") return null;
    const urlPort = url.port === "" ? 80 : Number(url.port);
    const sameHost = url.hostname === host || (hostHeader !== "" && url.hostname === hostHeader.split(":")[0]);
    return sameHost && urlPort === port ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

export function describeError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset by peer";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `no such host (${error.message.split(" ").pop() ?? ""})`;
    case "ETIMEOUT":
      return `name lookup timed out (${error.message.split(" ").pop() ?? ""})`;
    case "EHOSTUNREACH":
      return "host unreachable";
    case "ETIMEDOUT":
      return "connection timed out";
    default:
      return error.message;
  }
}

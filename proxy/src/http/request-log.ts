// The access log: one JSON line per request with kamal-proxy's fields (and the configured
// req_*/resp_* headers), plus the request counters for metrics.
import type { Service } from "../server/service.js";
import type { Target } from "../server/target.js";
import type { ExchangeClient } from "./client-connection.js";
import type { ProxyContext } from "./context.js";
import { getHeader, type RequestHead, type ResponseHead } from "./head.js";

/** What a finished exchange tells the log. */
export interface LoggedRequest {
  readonly ctx: ProxyContext;
  readonly conn: ExchangeClient;
  readonly head: RequestHead;
  readonly startedAt: bigint;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  readonly requestId: string;
  readonly service: Service | null;
  readonly target: Target | null;
  readonly responseHead: ResponseHead | null;
}

export function logRequest(request: LoggedRequest, status: number): void {
  const { ctx, conn, head, service } = request;
  const duration = Number(process.hrtime.bigint() - request.startedAt);
  if (service !== null) ctx.metrics?.finished(service.name, head.method, status, duration / 1e9);
  const response = request.responseHead;
  const forwardedFor = getHeader(head, "x-forwarded-for");
  const fields: Record<string, unknown> = {
    host: request.host,
    port: conn.localPort,
    path: request.path,
    request_id: request.requestId,
    status,
    service: service?.name ?? "",
    target: request.target?.name ?? "",
    duration,
    method: head.method,
    req_content_length: head.contentLength === -1 ? 0 : head.contentLength,
    req_content_type: getHeader(head, "content-type") ?? "",
    resp_content_length: response === null ? 0 : response.contentLength,
    resp_content_type: response === null ? "" : (getHeader(response, "content-type") ?? ""),
    client_addr: conn.remoteAddress,
    client_port: String(conn.remotePort),
    remote_addr:
      service !== null && service.targetOptions.forwardHeaders && forwardedFor !== undefined
        ? forwardedFor.split(",")[0]!.trim()
        : conn.remoteAddress,
    user_agent: getHeader(head, "user-agent") ?? "",
    proto: head.minor === 0 ? "HTTP/1.0" : conn.protocol,
    scheme: conn.secure ? "https" : "http",
    query: request.query,
  };
  if (service !== null) {
    for (const name of service.logRequestHeaders) fields[`req_${name.replace(/-/g, "_")}`] = getHeader(head, name) ?? "";
    for (const name of service.logResponseHeaders) {
      fields[`resp_${name.replace(/-/g, "_")}`] = response === null ? "" : (getHeader(response, name) ?? "");
    }
  }
  ctx.logger.write("INFO", "Request", fields);
}

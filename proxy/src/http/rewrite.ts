// Header rewriting in both directions: the request head sent to the target (hop-by-hop headers
// dropped, X-Forwarded-* set, request id and start stamped) and the response head sent to the
// client (hop-by-hop headers dropped, the writer-affinity cookie, the connection's fate).
import { randomUUID } from "node:crypto";
import { WRITER_COOKIE, type LoadBalancer } from "../server/load-balancer.js";
import { addHeader, getHeader, statusText, type RequestHead, type ResponseHead } from "./head.js";

// Request headers never forwarded upstream (hop-by-hop, RFC 9110 §7.6.1); Transfer-Encoding is
// kept because bodies are relayed verbatim. X-Forwarded-* are rebuilt below; a client's
// `Forwarded` (RFC 7239, which Rack reads before X-Forwarded-*) never passes, as in kamal-proxy
// (Go's ReverseProxy drops it).
const DROP_REQUEST = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate", "forwarded"]);
const DROP_RESPONSE = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authenticate"]);

/** Adds X-Request-ID and X-Request-Start when the client sent none; returns the request id. */
export function stampRequest(head: RequestHead): string {
  let requestId = getHeader(head, "x-request-id");
  if (requestId === undefined || requestId === "") {
    requestId = randomUUID();
    addHeader(head, "X-Request-ID", requestId);
  }
  if (getHeader(head, "x-request-start") === undefined) addHeader(head, "X-Request-Start", `t=${Date.now()}`);
  return requestId;
}

export interface UpstreamHeadOptions {
  /** Request target sent upstream (the matched prefix stripped when the service says so). */
  path: string;
  /**
   * --forward-headers: trust the client's X-Forwarded-* (another proxy in front): extend its
   * X-Forwarded-For, keep its Proto, Host and the others. Without it X-Forwarded-For/Proto/Host
   * are the proxy's own and every other X-Forwarded-* (Port, Ssl, Scheme, Prefix…) is dropped.
   */
  forward: boolean;
  clientIp: string;
  secure: boolean;
  targetName: string;
  /** Tell the target which target was picked (several targets or read targets). */
  announceTarget: boolean;
  /** The proxy answered `Expect: 100-continue` itself. */
  dropExpect: boolean;
}

export function upstreamRequestHead(head: RequestHead, options: UpstreamHeadOptions): string {
  const forward = options.forward;
  let out = `${head.method} ${options.path} HTTP/1.1\r\n`;
  const headers = head.headers;
  const names = head.names;
  // A Set: a head of many Connection tokens and many headers must not cost tokens × headers.
  let connectionTokens: Set<string> | null = null;
  let priorFor = "";
  let priorProto = "";
  let priorHost = "";
  let sawHost = false;
  for (let i = 0; i < names.length; i++) {
    if (names[i] === "connection") {
      connectionTokens ??= new Set();
      for (const token of headers[i * 2 + 1]!.toLowerCase().split(",")) connectionTokens.add(token.trim());
    }
  }
  for (let i = 0; i < names.length; i++) {
    const lower = names[i]!;
    const name = headers[i * 2]!;
    const value = headers[i * 2 + 1]!;
    if (DROP_REQUEST.has(lower)) continue;
    if (connectionTokens !== null && connectionTokens.has(lower)) continue;
    if (options.dropExpect && lower === "expect") continue;
    if (lower.startsWith("x-forwarded-")) {
      if (lower === "x-forwarded-for") priorFor = priorFor === "" ? value : `${priorFor}, ${value}`;
      else if (lower === "x-forwarded-proto") priorProto = value;
      else if (lower === "x-forwarded-host") priorHost = value;
      else if (forward) out += name + ": " + value + "\r\n";
      continue;
    }
    if (lower === "host") sawHost = true;
    out += name + ": " + value + "\r\n";
  }
  if (!sawHost) out += `Host: ${head.host !== "" ? head.host : options.targetName}\r\n`;
  const clientIp = options.clientIp;
  out += `X-Forwarded-For: ${forward && priorFor !== "" ? `${priorFor}, ${clientIp}` : clientIp}\r\n`;
  out += `X-Forwarded-Proto: ${forward && priorProto !== "" ? priorProto : options.secure ? "https" : "http"}\r\n`;
  out += `X-Forwarded-Host: ${forward && priorHost !== "" ? priorHost : head.host}\r\n`;
  if (options.announceTarget) out += `X-Kamal-Target: ${options.targetName}\r\n`;
  if (head.upgrade !== "") out += `Connection: Upgrade\r\nUpgrade: ${head.upgrade}\r\n`;
  return out + "\r\n";
}

export interface ClientHeadOptions {
  /** The body is de-chunked for an HTTP/1.0 client: Transfer-Encoding goes. */
  dechunk: boolean;
  keepAlive: boolean;
  /** The client spoke HTTP/1.0 (keep-alive must be said). */
  http10: boolean;
  /** Sets the writer-affinity cookie after a write, unless the app opts out. */
  balancer: LoadBalancer | null;
  method: string;
}

export function clientResponseHead(response: ResponseHead, options: ClientHeadOptions): string {
  let out = `HTTP/1.1 ${response.status} ${response.reason === "" ? statusText(response.status) : response.reason}\r\n`;
  const headers = response.headers;
  const names = response.names;
  for (let i = 0; i < names.length; i++) {
    if (droppedResponseHeader(names[i]!, response, options.dechunk)) continue;
    out += headers[i * 2] + ": " + headers[i * 2 + 1] + "\r\n";
  }
  const cookie = writerCookie(response, options);
  if (cookie !== null) out += `Set-Cookie: ${cookie}\r\n`;
  if (!options.keepAlive) out += "Connection: close\r\n";
  else if (options.http10) out += "Connection: keep-alive\r\n";
  return out + "\r\n";
}

/** A target's response header (by lower-case name) the client does not get. */
export function droppedResponseHeader(lower: string, response: ResponseHead, dechunk: boolean): boolean {
  if (DROP_RESPONSE.has(lower) || lower === "x-writer-affinity") return true;
  if (dechunk && lower === "transfer-encoding") return true;
  // A chunked response's Content-Length is wrong by definition (RFC 9112 §6.3): never pass both on.
  return response.chunked && lower === "content-length";
}

/** The writer-affinity cookie (Set-Cookie value) a response to a write sets, unless the app opts out. */
export function writerCookie(response: ResponseHead, options: ClientHeadOptions): string | null {
  const balancer = options.balancer;
  if (balancer === null || !balancer.hasReaders) return null;
  const names = response.names;
  for (let i = 0; i < names.length; i++) {
    if (names[i] === "x-writer-affinity" && response.headers[i * 2 + 1]!.toLowerCase() === "false") return null;
  }
  if (balancer.isRead({ method: options.method, isUpgrade: false, writerAffinityUntil: 0 })) return null;
  const until = Date.now() + balancer.writerAffinityTimeoutMs;
  return `${WRITER_COOKIE}=${until}; Path=/; Max-Age=${Math.ceil(balancer.writerAffinityTimeoutMs / 1000)}; HttpOnly`;
}

/** The 101 head sent to the client when the target accepts an upgrade: its headers as they are. */
export function switchingProtocolsHead(response: ResponseHead): string {
  let out = `HTTP/1.1 101 ${response.reason === "" ? "Switching Protocols" : response.reason}\r\n`;
  for (let i = 0; i < response.headers.length; i += 2) out += response.headers[i] + ": " + response.headers[i + 1] + "\r\n";
  return out + "\r\n";
}

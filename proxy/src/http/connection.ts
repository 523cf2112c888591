// The HTTP/1.1 data path. Each client connection reads request heads straight off the socket,
// routes them, and relays bytes to a pooled keep-alive upstream connection: one head parse
// and one rebuilt head per direction, bodies forwarded as they arrive (chunked bodies
// verbatim), with backpressure both ways. Upgrades become byte tunnels that a drain waits for.
import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import type { ProxyContext } from "./context.js";
import type { Route } from "../server/service-map.js";
import { stripPrefix } from "../server/service-map.js";
import type { Service } from "../server/service.js";
import type { InFlight, Target } from "../server/target.js";
import type { LoadBalancer } from "../server/load-balancer.js";
import { WRITER_COOKIE } from "../server/load-balancer.js";
import { ROLLOUT_COOKIE } from "../server/rollout.js";
import { renderErrorPage } from "../server/error-pages.js";
import type { WaitOutcome } from "../server/pause.js";
import { describeError } from "../server/health-check.js";
import { SpillBuffer } from "./buffer.js";
import { ChunkedError, ChunkedScanner } from "./chunked.js";
import {
  findHeadEnd,
  HeadError,
  getHeader,
  addHeader,
  MAX_HEAD_BYTES,
  parseRequestHead,
  parseResponseHead,
  statusText,
  type RequestHead,
  type ResponseHead,
} from "./head.js";
import type { UpstreamConnection, UpstreamOwner } from "./upstream.js";

/** A client socket: net.Socket, tls.TLSSocket, or the HTTP/2 stream bridge. */
export type ClientSocket = Duplex & {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localPort?: number | undefined;
  encrypted?: boolean;
  /** Set by the HTTP/2 bridge: logged as the request's proto. */
  httpProtocol?: string;
  setTimeout?(ms: number): unknown;
};

const IDLE_TIMEOUT_MS = 120_000;
const MAX_QUEUED_BODY = 256 * 1024;
const ACME_PREFIX = "/.well-known/acme-challenge/";

// Request headers never forwarded upstream (hop-by-hop, RFC 9110 §7.6.1); Transfer-Encoding is
// kept because bodies are relayed verbatim. X-Forwarded-* are rebuilt below.
const DROP_REQUEST = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"]);
const DROP_RESPONSE = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authenticate"]);

export class ClientConnection {
  private pending: Buffer | null = null;
  exchange: Exchange | null = null;
  private parsing = false;
  closed = false;
  tunnel: Tunnel | null = null;
  readonly secure: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly protocol: string;

  constructor(
    readonly socket: ClientSocket,
    readonly ctx: ProxyContext,
  ) {
    this.secure = socket.encrypted === true;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? "");
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    this.protocol = socket.httpProtocol ?? "HTTP/1.1";
    socket.on("data", this.onData);
    socket.on("drain", this.onDrain);
    socket.on("close", this.onClose);
    socket.on("error", noop);
    socket.on("timeout", this.onTimeout);
    socket.setTimeout?.(IDLE_TIMEOUT_MS);
  }

  private readonly onData = (chunk: Buffer): void => {
    const exchange = this.exchange;
    if (this.tunnel !== null) {
      this.tunnel.fromClient(chunk);
      return;
    }
    if (exchange !== null && exchange.wantsRequestBody) {
      const used = exchange.onRequestBody(chunk);
      if (used < chunk.length) this.hold(chunk.subarray(used));
      return;
    }
    this.hold(chunk);
    if (exchange === null) this.parseNext();
  };

  private hold(chunk: Buffer): void {
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    // Pipelined requests wait for the current response; stop reading if they pile up.
    if (this.exchange !== null && this.pending.length > MAX_QUEUED_BODY) this.socket.pause();
  }

  private parseNext(): void {
    if (this.parsing) return;
    this.parsing = true;
    try {
      while (this.exchange === null && this.pending !== null && !this.closed && this.tunnel === null) {
        const buf = this.pending;
        const end = findHeadEnd(buf);
        if (end === -1) {
          if (buf.length > MAX_HEAD_BYTES) this.rejectRaw(431, "request head too large");
          return;
        }
        if (end > MAX_HEAD_BYTES) {
          this.rejectRaw(431, "request head too large");
          return;
        }
        let head: RequestHead;
        try {
          head = parseRequestHead(buf, end);
        } catch (error) {
          const status = error instanceof HeadError ? error.status : 400;
          this.rejectRaw(status, (error as Error).message);
          return;
        }
        this.pending = end < buf.length ? buf.subarray(end) : null;
        const exchange = new Exchange(this, head);
        this.exchange = exchange;
        if (exchange.wantsRequestBody && this.pending !== null) {
          const rest = this.pending;
          this.pending = null;
          const used = exchange.onRequestBody(rest);
          if (used < rest.length) this.pending = rest.subarray(used);
        }
        exchange.start();
      }
    } finally {
      this.parsing = false;
    }
  }

  takePending(): Buffer | null {
    const pending = this.pending;
    this.pending = null;
    return pending;
  }

  /** A response that needs no exchange (malformed request): answer and close. */
  private rejectRaw(status: number, message: string): void {
    const body = renderErrorPage(null, status, message);
    this.socket.write(
      `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    this.pending = null;
    this.close();
  }

  /** The current exchange is complete; `keepAlive` says whether the next request may follow. */
  exchangeDone(exchange: Exchange, keepAlive: boolean): void {
    if (this.exchange !== exchange) return;
    this.exchange = null;
    if (!keepAlive) {
      this.close();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (this.pending !== null) this.parseNext();
  }

  /** Graceful close once buffered writes are flushed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    // A client that never reads would hold the socket forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private readonly onDrain = (): void => {
    if (this.tunnel !== null) this.tunnel.onClientDrain();
    else this.exchange?.onClientDrain();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    if (this.tunnel !== null) this.tunnel.onClientClose();
    this.exchange?.onClientClose();
  };

  private readonly onTimeout = (): void => {
    if (this.exchange === null && this.tunnel === null) this.destroy();
  };
}

const enum Response {
  AwaitingHead,
  Body,
  Done,
}

const enum Framing {
  None,
  Length,
  Chunked,
  UntilClose,
}

/** One request/response on a client connection. */
export class Exchange implements UpstreamOwner, InFlight {
  private readonly ctx: ProxyContext;
  private readonly startedAt = process.hrtime.bigint();
  private readonly host: string;
  private readonly path: string;
  private readonly query: string;
  private requestId = "";
  private route: Route | null = null;
  private service: Service | null = null;
  private target: Target | null = null;
  private balancer: LoadBalancer | null = null;
  private upstream: UpstreamConnection | null = null;
  private upstreamHead = "";
  private cancelPauseWait: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retried = false;
  private finished = false;

  // Request body.
  wantsRequestBody: boolean;
  private requestRemaining: number;
  private readonly requestScanner: ChunkedScanner | null;
  private requestQueue: Buffer[] = [];
  private requestQueued = 0;
  private requestBodyBytes = 0;
  private requestBuffer: SpillBuffer | null = null;
  private dispatched = false;

  // Response.
  private state = Response.AwaitingHead;
  private responseHeadBuf: Buffer | null = null;
  private framing = Framing.None;
  private responseRemaining = 0;
  private responseScanner: ChunkedScanner | null = null;
  private dechunk = false;
  private responseBuffer: SpillBuffer | null = null;
  private pendingClientHead = "";
  private responseStatus = 0;
  private responseHead: ResponseHead | null = null;
  private reusable = true;
  private clientKeepAlive: boolean;
  private headSent = false;
  private waitingClientDrain = false;

  constructor(
    private readonly conn: ClientConnection,
    readonly head: RequestHead,
  ) {
    this.ctx = conn.ctx;
    const rawHost = head.host;
    this.host = hostWithoutPort(rawHost).toLowerCase();
    const q = head.target.indexOf("?");
    this.path = q === -1 ? head.target : head.target.slice(0, q);
    this.query = q === -1 ? "" : head.target.slice(q + 1);
    this.clientKeepAlive = head.keepAlive;
    if (head.chunked) {
      this.requestScanner = new ChunkedScanner();
      this.requestRemaining = -1;
      this.wantsRequestBody = true;
    } else {
      this.requestScanner = null;
      this.requestRemaining = head.contentLength > 0 ? head.contentLength : 0;
      this.wantsRequestBody = this.requestRemaining > 0;
    }
  }

  // ---- request side -------------------------------------------------------------------

  start(): void {
    const head = this.head;
    let requestId = getHeader(head, "x-request-id");
    if (requestId === undefined || requestId === "") {
      requestId = randomUUID();
      addHeader(head, "X-Request-ID", requestId);
    }
    this.requestId = requestId;
    if (getHeader(head, "x-request-start") === undefined) addHeader(head, "X-Request-Start", `t=${Date.now()}`);

    // HTTP-01 answers come before redirects, on port 80 and also on 443 (CDNs that force HTTPS).
    const httpChallenge = this.ctx.httpChallenge;
    if (httpChallenge !== null && this.path.startsWith(ACME_PREFIX)) {
      httpChallenge(this.host, this.path.slice(ACME_PREFIX.length), (answer) => {
        if (this.finished) return;
        if (answer !== undefined) this.respondSimple(200, "text/plain", answer, []);
        else this.routeRequest();
      });
      return;
    }
    this.routeRequest();
  }

  private routeRequest(): void {
    const head = this.head;
    const route = this.ctx.router.map.lookup(this.host, this.path);
    if (route === null) {
      this.respondError(404, "");
      return;
    }
    this.route = route;
    const service = route.service;
    this.service = service;
    this.ctx.metrics?.started(service.name);

    if (route.tlsEnabled && route.tlsRedirect && !this.conn.secure) {
      const canonical = service.options.canonicalHost;
      const port = this.ctx.httpsPort === 443 ? "" : `:${this.ctx.httpsPort}`;
      this.redirect(`https://${canonical !== "" ? canonical : this.host}${port}${head.target}`);
      return;
    }
    const canonical = service.options.canonicalHost;
    if (canonical !== "" && this.host !== canonical) {
      const scheme = this.conn.secure ? "https" : "http";
      const authority = head.host.includes(":") && !this.conn.secure ? canonical + head.host.slice(head.host.lastIndexOf(":")) : canonical;
      this.redirect(`${scheme}://${authority}${head.target}`);
      return;
    }
    if (!route.tlsEnabled && this.conn.secure) {
      this.respondError(503, "");
      return;
    }

    const pause = service.pause;
    if (pause.state !== "running" && service.isHealthCheckPath(head.method, this.path)) {
      this.respondSimple(200, "", "", []);
      return;
    }
    const outcome = pause.check();
    if (outcome === null) {
      this.cancelPauseWait = pause.wait((result) => {
        this.cancelPauseWait = null;
        this.afterPause(result);
      });
      return;
    }
    this.afterPause(outcome);
  }

  private afterPause(outcome: WaitOutcome): void {
    if (this.finished) return;
    if (outcome.action === "stopped") {
      this.respondError(503, outcome.message);
      return;
    }
    if (outcome.action === "timed_out") {
      this.respondError(504, "");
      return;
    }
    this.pickTarget();
  }

  private pickTarget(): void {
    const service = this.service!;
    const head = this.head;
    const cookies = getHeader(head, "cookie");
    const balancer = service.loadBalancerFor(
      service.rolloutController !== null && cookies !== undefined ? cookieValue(cookies, ROLLOUT_COOKIE) : undefined,
    );
    if (balancer === null) {
      this.respondError(503, "");
      return;
    }
    let writerAffinityUntil = 0;
    if (balancer.hasReaders && cookies !== undefined) writerAffinityUntil = Number(cookieValue(cookies, WRITER_COOKIE) ?? 0) || 0;
    const target = balancer.pick({ method: head.method, isUpgrade: head.upgrade !== "", writerAffinityUntil });
    if (target === null) {
      this.respondError(503, "");
      return;
    }
    this.balancer = balancer;
    this.target = target;
    target.begin(this);
    const options = service.targetOptions;
    const buffering = options.bufferRequests && (head.chunked || head.contentLength > 0);
    // When the proxy buffers the body it answers `Expect: 100-continue` itself (as Go's server
    // does when the body is read), so the target must not be asked again.
    this.upstreamHead = this.buildUpstreamHead(target, buffering && head.expectContinue);
    if (buffering) {
      const max = options.maxRequestBodySize;
      if (max > 0 && (head.contentLength > max || this.requestBodyBytes > max)) {
        this.rejectTooLarge();
        return;
      }
      if (this.wantsRequestBody) {
        if (head.expectContinue && this.requestBodyBytes === 0) this.conn.socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
        this.requestBuffer = new SpillBuffer(options.maxMemoryBufferSize);
        for (const chunk of this.requestQueue) this.requestBuffer.append(chunk);
        this.requestQueue = [];
        this.requestQueued = 0;
        if (this.conn.socket.isPaused()) this.conn.socket.resume();
        return; // dispatched once the body is complete
      }
    }
    this.dispatch();
  }

  private buildUpstreamHead(target: Target, dropExpect: boolean): string {
    const head = this.head;
    const service = this.service!;
    const route = this.route!;
    const forward = service.targetOptions.forwardHeaders;
    const path = service.options.stripPrefix ? stripPrefix(route.prefix, head.target) : head.target;
    let out = `${head.method} ${path} HTTP/1.1\r\n`;
    const headers = head.headers;
    const names = head.names;
    let connectionTokens: string[] | null = null;
    let priorFor = "";
    let priorProto = "";
    let priorHost = "";
    let sawHost = false;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === "connection") {
        connectionTokens = (connectionTokens ?? ([] as string[])).concat(headers[i * 2 + 1]!.toLowerCase().split(",").map((token) => token.trim()));
      }
    }
    for (let i = 0; i < names.length; i++) {
      const lower = names[i]!;
      const name = headers[i * 2]!;
      const value = headers[i * 2 + 1]!;
      if (DROP_REQUEST.has(lower)) continue;
      if (connectionTokens !== null && connectionTokens.includes(lower)) continue;
      if (dropExpect && lower === "expect") continue;
      if (lower.startsWith("x-forwarded-")) {
        if (lower === "x-forwarded-for") priorFor = priorFor === "" ? value : `${priorFor}, ${value}`;
        else if (lower === "x-forwarded-proto") priorProto = value;
        else if (lower === "x-forwarded-host") priorHost = value;
        else out += name + ": " + value + "\r\n";
        continue;
      }
      if (lower === "host") sawHost = true;
      out += name + ": " + value + "\r\n";
    }
    if (!sawHost) out += `Host: ${head.host !== "" ? head.host : target.name}\r\n`;
    const clientIp = this.conn.remoteAddress;
    out += `X-Forwarded-For: ${forward && priorFor !== "" ? `${priorFor}, ${clientIp}` : clientIp}\r\n`;
    out += `X-Forwarded-Proto: ${forward && priorProto !== "" ? priorProto : this.conn.secure ? "https" : "http"}\r\n`;
    out += `X-Forwarded-Host: ${forward && priorHost !== "" ? priorHost : head.host}\r\n`;
    if (this.balancer!.hasReaders || this.balancer!.all.length > 1) out += `X-Kamal-Target: ${target.name}\r\n`;
    if (head.upgrade !== "") out += `Connection: Upgrade\r\nUpgrade: ${head.upgrade}\r\n`;
    return out + "\r\n";
  }

  /** Consumes request body bytes from `chunk`; returns how many belong to this request. */
  onRequestBody(chunk: Buffer): number {
    let used: number;
    if (this.requestScanner !== null) {
      let end: number;
      try {
        end = this.requestScanner.scan(chunk);
      } catch (error) {
        if (error instanceof ChunkedError) {
          this.wantsRequestBody = false;
          this.clientKeepAlive = false;
          this.failRequestBody(400);
          return chunk.length;
        }
        throw error;
      }
      used = end === -1 ? chunk.length : end;
      if (end !== -1) this.wantsRequestBody = false;
    } else {
      used = Math.min(this.requestRemaining, chunk.length);
      this.requestRemaining -= used;
      if (this.requestRemaining === 0) this.wantsRequestBody = false;
    }
    const body = used === chunk.length ? chunk : chunk.subarray(0, used);
    this.requestBodyBytes += used;
    if (!this.wantsRequestBody && this.dispatched) this.startTargetTimer();
    if (this.finished) return used; // answered early: discard the rest of the body
    if (this.requestBuffer !== null) {
      const max = this.service!.targetOptions.maxRequestBodySize;
      if (max > 0 && this.requestBodyBytes > max) {
        this.rejectTooLarge();
        return used;
      }
      this.requestBuffer.append(body);
      if (!this.wantsRequestBody) this.dispatch();
    } else if (this.upstream !== null) {
      if (!this.upstream.write(body)) this.conn.socket.pause();
    } else {
      this.requestQueue.push(body);
      this.requestQueued += body.length;
      if (this.requestQueued > MAX_QUEUED_BODY) this.conn.socket.pause();
    }
    return used;
  }

  private failRequestBody(status: number): void {
    if (this.finished) return;
    if (this.upstream !== null) {
      this.upstream.destroy();
      this.upstream = null;
    }
    if (!this.headSent) this.respondError(status, "");
    else this.abort();
  }

  private rejectTooLarge(): void {
    this.clientKeepAlive = false;
    this.requestBuffer?.dispose();
    this.requestBuffer = null;
    this.respondError(413, "");
  }

  private dispatch(): void {
    if (this.dispatched || this.finished) return;
    this.dispatched = true;
    if (!this.wantsRequestBody) this.startTargetTimer();
    this.target!.pool.acquire(this, this.onAcquired, this.retried);
  }

  /** --target-timeout counts from the end of the request (as Go's ResponseHeaderTimeout does), so slow uploads are not cut. */
  private startTargetTimer(): void {
    const timeout = this.service!.targetOptions.responseTimeoutMs;
    if (timeout > 0 && this.timer === null && !this.finished && this.state === Response.AwaitingHead) {
      this.timer = setTimeout(this.onTargetTimeout, timeout);
    }
  }

  private readonly onAcquired = (error: Error | null, connection: UpstreamConnection | null): void => {
    if (this.finished) {
      connection?.release();
      return;
    }
    if (error !== null || connection === null) {
      this.upstreamFailed(error ?? new Error("no connection"));
      return;
    }
    this.upstream = connection;
    const buffered = this.requestBuffer;
    if (buffered !== null) {
      connection.write(this.upstreamHead, "latin1");
      for (const piece of buffered.pieces()) connection.write(piece);
      buffered.dispose();
      this.requestBuffer = null;
      return;
    }
    if (this.requestQueue.length === 0) {
      connection.write(this.upstreamHead, "latin1");
    } else {
      connection.socket.cork();
      connection.write(this.upstreamHead, "latin1");
      for (const chunk of this.requestQueue) connection.write(chunk);
      connection.socket.uncork();
      this.requestQueue = [];
      this.requestQueued = 0;
      if (this.conn.socket.isPaused()) this.conn.socket.resume();
    }
  };

  onUpstreamDrain(): void {
    if (this.wantsRequestBody && this.conn.socket.isPaused()) this.conn.socket.resume();
  }

  // ---- response side ------------------------------------------------------------------

  /** `data` is borrowed (see UpstreamOwner): only the complete-small-response path avoids a copy. */
  onUpstreamData(data: Buffer): void {
    if (this.state === Response.Body) {
      this.onResponseBody(Buffer.from(data));
      return;
    }
    if (this.state === Response.Done) {
      this.reusable = false; // bytes past the response: the connection cannot be trusted
      return;
    }
    const buf = this.responseHeadBuf === null ? data : Buffer.concat([this.responseHeadBuf, data]);
    const end = findHeadEnd(buf);
    if (end === -1) {
      if (buf.length > MAX_HEAD_BYTES) this.upstreamFailed(new Error("response head too large"), 502);
      else this.responseHeadBuf = buf === data ? Buffer.from(data) : buf;
      return;
    }
    this.responseHeadBuf = null;
    let response: ResponseHead;
    try {
      response = parseResponseHead(buf, end);
    } catch (error) {
      this.upstreamFailed(error as Error, 502);
      return;
    }
    const rest = end < buf.length ? buf.subarray(end) : null;
    if (response.status >= 100 && response.status < 200 && response.status !== 101) {
      if (this.head.minor === 1) this.conn.socket.write(Buffer.from(buf.subarray(0, end)));
      if (rest !== null) this.onUpstreamData(rest);
      return;
    }
    this.clearTimer();
    this.responseHead = response;
    this.responseStatus = response.status;
    if (response.status === 101 && this.head.upgrade !== "") {
      this.startTunnel(response, rest === null ? null : Buffer.from(rest));
      return;
    }
    this.beginResponse(response, rest);
  }

  private beginResponse(response: ResponseHead, rest: Buffer | null): void {
    const status = response.status;
    if (this.head.method === "HEAD" || status === 204 || status === 304) this.framing = Framing.None;
    else if (response.chunked) this.framing = Framing.Chunked;
    else if (response.contentLength >= 0) this.framing = Framing.Length;
    else this.framing = Framing.UntilClose;
    if (!response.keepAlive) this.reusable = false;
    if (this.framing === Framing.UntilClose) {
      this.reusable = false;
      this.clientKeepAlive = false;
    }
    if (this.framing === Framing.Chunked) {
      this.responseScanner = new ChunkedScanner();
      if (this.head.minor === 0) {
        this.dechunk = true;
        this.clientKeepAlive = false;
      }
    }
    this.responseRemaining = this.framing === Framing.Length ? response.contentLength : 0;
    if (this.wantsRequestBody) this.clientKeepAlive = false; // answered before the upload finished

    const options = this.service!.targetOptions;
    if (options.bufferResponses && this.framing === Framing.Length) {
      const contentType = getHeader(response, "content-type") ?? "";
      if (!contentType.startsWith("text/event-stream")) {
        if (options.maxResponseBodySize > 0 && response.contentLength > options.maxResponseBodySize) {
          this.reusable = false;
          this.upstreamFailed(new Error("response body too large"), 502);
          return;
        }
        this.responseBuffer = new SpillBuffer(options.maxMemoryBufferSize);
      }
    }
    const clientHead = this.buildClientHead(response);
    this.state = Response.Body;
    if (this.responseBuffer !== null) {
      this.pendingClientHead = clientHead;
    } else {
      this.headSent = true;
      if (rest !== null && this.framing === Framing.Length && rest.length === this.responseRemaining) {
        // The common small response: head and whole body in one write (one syscall).
        const headLength = clientHead.length;
        const out = Buffer.allocUnsafe(headLength + rest.length);
        out.write(clientHead, 0, headLength, "latin1");
        rest.copy(out, headLength);
        this.responseRemaining = 0;
        this.conn.socket.write(out);
        this.completeResponse();
        return;
      }
      this.conn.socket.write(clientHead, "latin1");
    }
    if (this.framing === Framing.None || (this.framing === Framing.Length && this.responseRemaining === 0)) {
      if (rest !== null) this.reusable = false;
      this.completeResponse();
      return;
    }
    if (rest !== null) this.onResponseBody(Buffer.from(rest));
  }

  private buildClientHead(response: ResponseHead): string {
    let out = `HTTP/1.1 ${response.status} ${response.reason === "" ? statusText(response.status) : response.reason}\r\n`;
    const headers = response.headers;
    const names = response.names;
    let writerAffinity = true;
    for (let i = 0; i < names.length; i++) {
      const lower = names[i]!;
      if (DROP_RESPONSE.has(lower)) continue;
      if (lower === "x-writer-affinity") {
        if (headers[i * 2 + 1]!.toLowerCase() === "false") writerAffinity = false;
        continue;
      }
      if (this.dechunk && lower === "transfer-encoding") continue;
      out += headers[i * 2] + ": " + headers[i * 2 + 1] + "\r\n";
    }
    const balancer = this.balancer;
    if (balancer !== null && balancer.hasReaders && writerAffinity && !balancer.isRead({ method: this.head.method, isUpgrade: false, writerAffinityUntil: 0 })) {
      const until = Date.now() + balancer.writerAffinityTimeoutMs;
      out += `Set-Cookie: ${WRITER_COOKIE}=${until}; Path=/; Max-Age=${Math.ceil(balancer.writerAffinityTimeoutMs / 1000)}; HttpOnly\r\n`;
    }
    if (!this.clientKeepAlive) out += "Connection: close\r\n";
    else if (this.head.minor === 0) out += "Connection: keep-alive\r\n";
    return out + "\r\n";
  }

  private onResponseBody(data: Buffer): void {
    let used = data.length;
    let done = false;
    if (this.framing === Framing.Length) {
      if (data.length >= this.responseRemaining) {
        used = this.responseRemaining;
        done = true;
      }
      this.responseRemaining -= used;
    } else if (this.framing === Framing.Chunked) {
      let end: number;
      try {
        end = this.dechunk ? this.responseScanner!.scan(data, 0, this.writeDechunked) : this.responseScanner!.scan(data);
      } catch {
        this.reusable = false;
        this.upstreamFailed(new Error("malformed chunked response"), 502);
        return;
      }
      if (end !== -1) {
        used = end;
        done = true;
      }
    }
    if (used < data.length) this.reusable = false;
    if (!this.dechunk && used > 0) this.forward(used === data.length ? data : data.subarray(0, used));
    if (done) this.completeResponse();
  }

  private readonly writeDechunked = (buf: Buffer, from: number, to: number): void => {
    if (to > from) this.forward(buf.subarray(from, to));
  };

  private forward(chunk: Buffer): void {
    if (this.responseBuffer !== null) {
      const max = this.service!.targetOptions.maxResponseBodySize;
      this.responseBuffer.append(chunk);
      if (max > 0 && this.responseBuffer.size > max) {
        this.reusable = false;
        this.upstreamFailed(new Error("response body too large"), 502);
      }
      return;
    }
    if (!this.conn.socket.write(chunk) && this.upstream !== null) {
      this.waitingClientDrain = true;
      this.upstream.socket.pause();
    }
  }

  onClientDrain(): void {
    if (this.waitingClientDrain) {
      this.waitingClientDrain = false;
      this.upstream?.socket.resume();
    }
    if (this.wantsRequestBody && this.conn.socket.isPaused() && (this.upstream === null || !this.upstream.socket.writableNeedDrain)) {
      this.conn.socket.resume();
    }
  }

  private completeResponse(): void {
    this.state = Response.Done;
    const buffered = this.responseBuffer;
    if (buffered !== null) {
      const socket = this.conn.socket;
      socket.cork();
      socket.write(this.pendingClientHead, "latin1");
      for (const piece of buffered.pieces()) socket.write(piece);
      process.nextTick(uncork, socket);
      this.headSent = true;
      buffered.dispose();
      this.responseBuffer = null;
    }
    if (this.dechunk) this.clientKeepAlive = false;
    const upstream = this.upstream;
    this.upstream = null;
    if (upstream !== null) {
      if (this.reusable && !this.wantsRequestBody) {
        if (this.waitingClientDrain) {
          this.waitingClientDrain = false;
          upstream.socket.resume();
        }
        upstream.release();
      } else {
        upstream.destroy();
      }
    }
    this.finish(this.responseStatus);
  }

  onUpstreamClose(error: Error | undefined): void {
    if (this.finished) return;
    const upstream = this.upstream;
    this.upstream = null;
    if (this.state === Response.Body && this.framing === Framing.UntilClose) {
      this.completeResponse();
      return;
    }
    if (
      this.state === Response.AwaitingHead &&
      this.responseHeadBuf === null &&
      upstream !== null &&
      upstream.reused &&
      !this.retried &&
      this.requestBodyBytes === 0 &&
      !this.wantsRequestBody &&
      this.head.upgrade === ""
    ) {
      // A pooled connection the target had already closed: retry once on a fresh one.
      this.retried = true;
      this.dispatched = false;
      this.clearTimer();
      this.dispatch();
      return;
    }
    this.upstreamFailed(error ?? new Error("upstream closed"));
  }

  private readonly onTargetTimeout = (): void => {
    this.timer = null;
    if (this.state === Response.AwaitingHead && !this.finished) {
      this.ctx.logger.info("Target timed out", { service: this.service?.name, target: this.target?.name, path: this.path });
      this.upstreamFailed(new Error("target timeout"), 504);
    }
  };

  private upstreamFailed(error: Error, status = 502): void {
    if (this.finished) return;
    this.clearTimer();
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.destroy();
    this.responseBuffer?.dispose();
    this.responseBuffer = null;
    if (this.headSent) {
      this.abort();
      return;
    }
    if (status === 502) {
      this.ctx.logger.info("Error while proxying", { service: this.service?.name, target: this.target?.name, path: this.path, error: describeError(error as NodeJS.ErrnoException) });
    }
    this.respondError(status, "");
  }

  // ---- upgrades -----------------------------------------------------------------------

  private startTunnel(response: ResponseHead, rest: Buffer | null): void {
    const upstream = this.upstream!;
    this.upstream = null;
    let out = `HTTP/1.1 101 ${response.reason === "" ? "Switching Protocols" : response.reason}\r\n`;
    for (let i = 0; i < response.headers.length; i += 2) out += response.headers[i] + ": " + response.headers[i + 1] + "\r\n";
    this.conn.socket.write(out + "\r\n", "latin1");
    if (rest !== null) this.conn.socket.write(rest);
    this.headSent = true;
    const tunnel = new Tunnel(this.conn, upstream, this.target!, this.head.upgrade.toLowerCase() === "websocket", () => {
      this.logRequest(101);
    });
    this.target!.end(this);
    this.finished = true;
    this.conn.exchange = null;
    this.conn.tunnel = tunnel;
    this.conn.socket.setTimeout?.(0);
    upstream.owner = tunnel;
    for (const chunk of this.requestQueue) tunnel.fromClient(chunk);
    this.requestQueue = [];
    const early = this.conn.takePending();
    if (early !== null) tunnel.fromClient(early);
    if (this.conn.socket.isPaused()) this.conn.socket.resume();
  }

  // ---- endings ------------------------------------------------------------------------

  /** Drain deadline: a request still waiting for its response gets 504, a streaming one is cut. */
  abortForDrain(): void {
    if (this.finished) return;
    if (!this.headSent) this.upstreamFailed(new Error("draining"), 504);
    else this.abort();
  }

  onClientClose(): void {
    if (this.finished) return;
    this.cancelPauseWait?.();
    this.cancelPauseWait = null;
    this.clearTimer();
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.destroy();
    this.finish(this.state === Response.Done ? this.responseStatus : 499);
  }

  private abort(): void {
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.destroy();
    this.clientKeepAlive = false;
    this.finish(this.responseStatus || 502);
    this.conn.destroy();
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private redirect(location: string): void {
    this.clientKeepAlive = false;
    this.respondSimple(301, "text/html; charset=utf-8", `<a href="${location.replace(/"/g, "&quot;")}">Moved Permanently</a>.\n`, ["Location", location]);
  }

  private respondError(status: number, message: string): void {
    const body = renderErrorPage(this.service?.errorPages ?? null, status, message);
    this.respondSimple(status, "text/html; charset=utf-8", body, []);
  }

  private respondSimple(status: number, contentType: string, body: string, extra: string[]): void {
    if (this.finished) return;
    if (this.wantsRequestBody) this.clientKeepAlive = false;
    this.responseStatus = status;
    let out = `HTTP/1.1 ${status} ${statusText(status)}\r\n`;
    if (contentType !== "") out += `Content-Type: ${contentType}\r\n`;
    for (let i = 0; i < extra.length; i += 2) out += `${extra[i]}: ${extra[i + 1]}\r\n`;
    const length = Buffer.byteLength(body);
    out += `Content-Length: ${length}\r\n`;
    if (!this.clientKeepAlive) out += "Connection: close\r\n";
    this.responseHead = {
      status, reason: "", minor: 1, headers: ["Content-Type", contentType, "Content-Length", String(length)],
      names: ["content-type", "content-length"], contentLength: length, chunked: false, keepAlive: true,
    };
    this.headSent = true;
    const headBytes = Buffer.from(out + "\r\n", "latin1");
    this.conn.socket.write(this.head.method === "HEAD" ? headBytes : Buffer.concat([headBytes, Buffer.from(body, "utf8")]));
    this.state = Response.Done;
    this.finish(status);
  }

  private finish(status: number): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    this.requestBuffer?.dispose();
    this.requestBuffer = null;
    if (this.target !== null) this.target.end(this);
    this.logRequest(status);
    this.conn.exchangeDone(this, this.clientKeepAlive && status !== 499);
  }

  private logRequest(status: number): void {
    const head = this.head;
    const service = this.service;
    const duration = Number(process.hrtime.bigint() - this.startedAt);
    if (service !== null) this.ctx.metrics?.finished(service.name, head.method, status, duration / 1e9);
    const response = this.responseHead;
    const forwardedFor = getHeader(head, "x-forwarded-for");
    const fields: Record<string, unknown> = {
      host: this.host,
      port: this.conn.localPort,
      path: this.path,
      request_id: this.requestId,
      status,
      service: service?.name ?? "",
      target: this.target?.name ?? "",
      duration,
      method: head.method,
      req_content_length: head.contentLength === -1 ? 0 : head.contentLength,
      req_content_type: getHeader(head, "content-type") ?? "",
      resp_content_length: response === null ? 0 : response.contentLength,
      resp_content_type: response === null ? "" : (getHeader(response, "content-type") ?? ""),
      client_addr: this.conn.remoteAddress,
      client_port: String(this.conn.remotePort),
      remote_addr:
        service !== null && service.targetOptions.forwardHeaders && forwardedFor !== undefined
          ? forwardedFor.split(",")[0]!.trim()
          : this.conn.remoteAddress,
      user_agent: getHeader(head, "user-agent") ?? "",
      proto: head.minor === 0 ? "HTTP/1.0" : this.conn.protocol,
      scheme: this.conn.secure ? "https" : "http",
      query: this.query,
    };
    if (service !== null) {
      for (const name of service.logRequestHeaders) fields[`req_${name.replace(/-/g, "_")}`] = getHeader(head, name) ?? "";
      for (const name of service.logResponseHeaders) {
        fields[`resp_${name.replace(/-/g, "_")}`] = response === null ? "" : (getHeader(response, name) ?? "");
      }
    }
    this.ctx.logger.write("INFO", "Request", fields);
  }
}

/** An upgraded connection (WebSocket): bytes both ways until either side closes or a drain ends it. */
export class Tunnel implements UpstreamOwner, InFlight {
  private ended = false;

  constructor(
    private readonly conn: ClientConnection,
    private readonly upstream: UpstreamConnection,
    private readonly target: Target,
    private readonly websocket: boolean,
    private readonly onEnd: () => void,
  ) {
    target.beginTunnel(this);
  }

  fromClient(chunk: Buffer): void {
    if (!this.upstream.write(chunk)) this.conn.socket.pause();
  }

  onUpstreamData(data: Buffer): void {
    if (!this.conn.socket.write(Buffer.from(data))) this.upstream.socket.pause();
  }

  onUpstreamDrain(): void {
    if (this.conn.socket.isPaused()) this.conn.socket.resume();
  }

  onClientDrain(): void {
    if (this.upstream.socket.isPaused()) this.upstream.socket.resume();
  }

  onUpstreamClose(): void {
    this.end();
    this.conn.close();
  }

  onClientClose(): void {
    this.end();
    this.upstream.destroy();
  }

  /** Drain deadline reached: close both sides (a WebSocket gets a 1001 "going away" close frame first). */
  abortForDrain(): void {
    if (this.ended) return;
    if (this.websocket) this.conn.socket.write(WEBSOCKET_GOING_AWAY);
    this.end();
    this.upstream.destroy();
    this.conn.close();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.target.endTunnel(this);
    this.onEnd();
  }
}

// Server-to-client close frame: FIN + opcode 8, payload = status 1001 (going away).
const WEBSOCKET_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]);

function uncork(socket: Duplex): void {
  socket.uncork();
}

function noop(): void {}

export function hostWithoutPort(host: string): string {
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    return close === -1 ? host : host.slice(1, close);
  }
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

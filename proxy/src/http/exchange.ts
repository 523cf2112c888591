// One request/response on a client connection: routed (routing.ts), sent to a pooled upstream
// connection with a rewritten head (rewrite.ts), its body relayed (request-body.ts) and the
// target's response relayed back (response-relay.ts), or answered by the proxy itself
// (replies.ts); logged once (request-log.ts). An accepted upgrade becomes a Tunnel.
import type { LoadBalancer } from "../server/load-balancer.js";
import { describeError } from "../server/health-check.js";
import type { Route } from "../server/service-map.js";
import { stripPrefix } from "../server/service-map.js";
import type { Service } from "../server/service.js";
import type { InFlight, Target } from "../server/target.js";
import { ChunkedError } from "./chunked.js";
import type { ExchangeClient } from "./client-connection.js";
import type { ProxyContext } from "./context.js";
import type { RequestHead, ResponseHead } from "./head.js";
import { encodeReply, errorReply, replyHead, type Reply } from "./replies.js";
import { RequestBody, sendRequest } from "./request-body.js";
import { logRequest } from "./request-log.js";
import { ResponseRelay } from "./response-relay.js";
import { stampRequest, upstreamRequestHead } from "./rewrite.js";
import { hostWithoutPort, routeExchange } from "./routing.js";
import { openTunnel } from "./tunnel.js";
import type { UpstreamConnection, UpstreamOwner } from "./upstream.js";

export class Exchange implements UpstreamOwner, InFlight {
  readonly ctx: ProxyContext;
  readonly startedAt = process.hrtime.bigint();
  /** Lower-case, without port. */
  readonly host: string;
  readonly path: string;
  readonly query: string;
  requestId = "";
  // Set by routing.
  route: Route | null = null;
  service: Service | null = null;
  target: Target | null = null;
  balancer: LoadBalancer | null = null;
  /** Cancels a wait for resume (pause) or for a healthy target. */
  cancelWait: (() => void) | null = null;

  upstream: UpstreamConnection | null = null;
  private upstreamHead = "";
  private timer: NodeJS.Timeout | null = null;
  private retried = false;
  private dispatched = false;
  finished = false;

  /** More request body bytes are expected from the client. */
  wantsRequestBody: boolean;
  readonly body: RequestBody | null;

  /** Created when the target's first bytes arrive. */
  private relay: ResponseRelay | null = null;
  private responseStatus = 0;
  responseHead: ResponseHead | null = null;
  /** The upstream connection may serve another request afterwards. */
  reusable = true;
  clientKeepAlive: boolean;
  headSent = false;

  constructor(
    readonly conn: ExchangeClient,
    readonly head: RequestHead,
  ) {
    this.ctx = conn.ctx;
    this.host = hostWithoutPort(head.host).toLowerCase();
    const q = head.target.indexOf("?");
    this.path = q === -1 ? head.target : head.target.slice(0, q);
    this.query = q === -1 ? "" : head.target.slice(q + 1);
    this.clientKeepAlive = head.keepAlive;
    this.body = head.chunked || head.contentLength > 0 ? new RequestBody(head) : null;
    this.wantsRequestBody = this.body !== null;
  }

  // ---- request side -------------------------------------------------------------------

  start(): void {
    if (this.finished) return; // its first body bytes were already refused (malformed chunked body)
    this.requestId = stampRequest(this.head);
    if (this.wantsRequestBody) this.body!.watch(this.ctx.timeouts.bodyMs, this.conn.socket, () => this.onBodyStall());
    routeExchange(this);
  }

  /** The client stopped sending the body it announced (slowloris): 408, or a cut once answered. */
  private onBodyStall(): void {
    if (!this.wantsRequestBody || this.finished) return;
    this.ctx.logger.info("Request body timed out", { service: this.service?.name ?? "", path: this.path, received: this.body!.bytes });
    this.wantsRequestBody = false;
    this.clientKeepAlive = false;
    this.failRequestBody(408);
  }

  /** Routing picked `target`: build the upstream head, then send (or first buffer the body). */
  sendTo(balancer: LoadBalancer, target: Target): void {
    const head = this.head;
    const service = this.service!;
    this.balancer = balancer;
    this.target = target;
    target.begin(this);
    const options = service.targetOptions;
    const body = this.body;
    const buffering = options.bufferRequests && body !== null;
    // When the proxy buffers the body it answers `Expect: 100-continue` itself (as Go's server
    // does when the body is read), so the target must not be asked again.
    this.upstreamHead = upstreamRequestHead(head, {
      path: service.options.stripPrefix ? stripPrefix(this.route!.prefix, head.target) : head.target,
      forward: options.forwardHeaders,
      clientIp: this.conn.remoteAddress,
      secure: this.conn.secure,
      targetName: target.name,
      announceTarget: balancer.hasReaders || balancer.writers.length > 1,
      dropExpect: buffering && head.expectContinue,
    });
    if (buffering) {
      const max = options.maxRequestBodySize;
      if (max > 0 && (head.contentLength > max || body.bytes > max)) {
        this.rejectTooLarge();
        return;
      }
      if (this.wantsRequestBody) {
        if (head.expectContinue && body.bytes === 0) this.conn.socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
        body.startBuffering(options.maxMemoryBufferSize);
        if (this.conn.socket.isPaused()) this.conn.socket.resume();
        return; // dispatched once the body is complete
      }
    }
    this.dispatch();
  }

  /** Consumes request body bytes from `chunk`; returns how many belong to this request. */
  onRequestBody(chunk: Buffer): number {
    const body = this.body!;
    let used: number;
    try {
      used = body.consume(chunk);
    } catch (error) {
      if (error instanceof ChunkedError) {
        this.wantsRequestBody = false;
        this.clientKeepAlive = false;
        this.failRequestBody(400);
        return chunk.length;
      }
      throw error;
    }
    if (body.done) this.wantsRequestBody = false;
    const data = used === chunk.length ? chunk : chunk.subarray(0, used);
    if (!this.wantsRequestBody && this.dispatched) this.startTargetTimer();
    if (this.finished) return used; // answered early: discard the rest of the body
    if (body.buffer !== null) {
      const max = this.service!.targetOptions.maxRequestBodySize;
      if (max > 0 && body.bytes > max) {
        this.rejectTooLarge();
        return used;
      }
      body.buffer.append(data);
      if (!this.wantsRequestBody) this.dispatch();
    } else if (this.upstream !== null) {
      if (!this.upstream.write(data)) this.conn.socket.pause();
    } else if (body.enqueue(data)) {
      this.conn.socket.pause();
    }
    return used;
  }

  private failRequestBody(status: number): void {
    if (this.finished) return;
    if (this.upstream !== null) {
      this.upstream.destroy();
      this.upstream = null;
    }
    if (!this.headSent) this.replyError(status, "");
    else this.abort();
  }

  private rejectTooLarge(): void {
    this.clientKeepAlive = false;
    this.body?.disposeBuffer();
    this.replyError(413, "");
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
    if (timeout > 0 && this.timer === null && !this.finished && this.awaitingResponse) {
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
    if (sendRequest(connection, this.upstreamHead, this.body) && this.conn.socket.isPaused()) this.conn.socket.resume();
  };

  onUpstreamDrain(): void {
    if (this.wantsRequestBody && this.conn.socket.isPaused()) this.conn.socket.resume();
  }

  // ---- response side ------------------------------------------------------------------

  /** `data` is borrowed (see UpstreamOwner): only the complete-small-response path avoids a copy. */
  onUpstreamData(data: Buffer): void {
    (this.relay ??= new ResponseRelay(this)).onData(data);
  }

  private get awaitingResponse(): boolean {
    return this.relay === null || this.relay.awaitingHead;
  }

  /** The target's final response head: relay it, or tunnel an accepted upgrade. */
  responseArrived(response: ResponseHead, rest: Buffer | null): void {
    this.clearTimer();
    this.responseHead = response;
    this.responseStatus = response.status;
    if (response.status === 101 && this.head.upgrade !== "") {
      const upstream = this.upstream!;
      this.upstream = null;
      this.headSent = true;
      openTunnel(this, upstream, response, rest === null ? null : Buffer.from(rest));
      return;
    }
    this.relay!.begin(rest);
  }

  onClientDrain(): void {
    this.relay?.onClientDrain();
    if (this.wantsRequestBody && this.conn.socket.isPaused() && (this.upstream === null || !this.upstream.socket.writableNeedDrain)) {
      this.conn.socket.resume();
    }
  }

  /** The relay delivered the whole response: hand the upstream connection back (or close it). */
  responseComplete(): void {
    const upstream = this.upstream;
    this.upstream = null;
    if (upstream !== null) {
      if (this.reusable && !this.wantsRequestBody) upstream.release();
      else upstream.destroy();
    }
    this.finish(this.responseStatus);
  }

  onUpstreamClose(error: Error | undefined): void {
    if (this.finished) return;
    const upstream = this.upstream;
    this.upstream = null;
    if (this.relay !== null && this.relay.endsAtClose) {
      this.relay.complete();
      return;
    }
    if (
      (this.relay === null || this.relay.nothingReceived) &&
      upstream !== null &&
      upstream.reused &&
      !this.retried &&
      (this.body === null || this.body.bytes === 0) &&
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
    if (this.awaitingResponse && !this.finished) {
      this.ctx.logger.info("Target timed out", { service: this.service?.name, target: this.target?.name, path: this.path });
      this.upstreamFailed(new Error("target timeout"), 504);
    }
  };

  upstreamFailed(error: Error, status = 502): void {
    if (this.finished) return;
    this.clearTimer();
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.destroy();
    this.relay?.dispose();
    if (this.headSent) {
      this.abort();
      return;
    }
    if (status === 502) {
      this.ctx.logger.info("Error while proxying", { service: this.service?.name, target: this.target?.name, path: this.path, error: describeError(error as NodeJS.ErrnoException) });
    }
    this.replyError(status, "");
  }

  /** Now a tunnel (registered on the target first, so a drain never sees the target idle between). */
  handedToTunnel(): void {
    this.finished = true;
    this.body?.unwatch();
    this.target!.end(this);
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
    this.cancelWait?.();
    this.cancelWait = null;
    this.clearTimer();
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.destroy();
    this.finish(499);
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

  replyError(status: number, message: string): void {
    this.reply(errorReply(this.service?.errorPages ?? null, status, message));
  }

  /** Answers the request from the proxy itself. */
  reply(reply: Reply): void {
    if (this.finished) return;
    if (this.wantsRequestBody) this.clientKeepAlive = false;
    this.responseStatus = reply.status;
    this.responseHead = replyHead(reply);
    this.headSent = true;
    this.conn.socket.write(encodeReply(reply, this.clientKeepAlive, this.head.method === "HEAD"));
    this.finish(reply.status);
  }

  private finish(status: number): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    this.body?.unwatch();
    if (this.cancelWait !== null) {
      this.cancelWait();
      this.cancelWait = null;
    }
    this.body?.disposeBuffer();
    if (this.target !== null) this.target.end(this);
    logRequest(this, status);
    this.conn.exchangeDone(this, this.clientKeepAlive && status !== 499);
  }
}

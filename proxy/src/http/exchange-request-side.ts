// The request side of one exchange (exchange.ts): what it knows from the route to the upstream
// connection, the request body on its way (streamed, or buffered first) and the timer for the
// target's response. The response side, and the endings called here, are Exchange's.
import type { LoadBalancer } from "../server/load-balancer.js";
import type { Route } from "../server/service-map.js";
import { stripPrefix } from "../server/service-map.js";
import type { Service } from "../server/service.js";
import type { InFlight, Target } from "../server/target.js";
import { ChunkedError } from "./chunked.js";
import type { ExchangeClient } from "./client-connection.js";
import type { ProxyContext } from "./context.js";
import type { RequestHead } from "./head.js";
import { RequestBody, sendRequest } from "./request-body.js";
import type { ResponseRelay } from "./response-relay.js";
import { upstreamRequestHead } from "./rewrite.js";
import { hostWithoutPort } from "./routing.js";
import type { UpstreamConnection, UpstreamOwner } from "./upstream.js";

export abstract class ExchangeRequestSide implements UpstreamOwner, InFlight {
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
  protected retried = false;
  protected dispatched = false;
  finished = false;

  /** More request body bytes are expected from the client. */
  wantsRequestBody: boolean;
  readonly body: RequestBody | null;

  /** Created when the target's first bytes arrive. */
  protected relay: ResponseRelay | null = null;
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

  /** The client stopped sending the body it announced (slowloris): 408, or a cut once answered. */
  protected onBodyStall(): void {
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

  protected dispatch(): void {
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

  private get awaitingResponse(): boolean {
    return this.relay === null || this.relay.awaitingHead;
  }

  private readonly onTargetTimeout = (): void => {
    this.timer = null;
    if (this.awaitingResponse && !this.finished) {
      this.ctx.logger.info("Target timed out", { service: this.service?.name, target: this.target?.name, path: this.path });
      this.upstreamFailed(new Error("target timeout"), 504);
    }
  };

  protected clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  // ---- implemented by Exchange ----------------------------------------------------------

  abstract onUpstreamData(data: Buffer): void;
  abstract onUpstreamClose(error: Error | undefined): void;
  abstract abortForDrain(): void;
  abstract upstreamFailed(error: Error, status?: number): void;
  abstract replyError(status: number, message: string): void;
  protected abstract abort(): void;
}

// One request/response on a client connection: routed (routing.ts), sent to a pooled upstream
// connection with a rewritten head and its body relayed (exchange-request-side.ts), and the
// target's response relayed back (response-relay.ts), or answered by the proxy itself
// (replies.ts); logged once (request-log.ts). An accepted upgrade becomes a Tunnel.
import { describeError } from "../server/health-check.js";
import type { InFlight } from "../server/target.js";
import type { ExchangeClient } from "./client-connection.js";
import type { RequestHead, ResponseHead } from "./head.js";
import { ExchangeRequestSide } from "./exchange-request-side.js";
import { encodeReply, errorReply, replyHead, type Reply } from "./replies.js";
import { logRequest } from "./request-log.js";
import { ResponseRelay } from "./response-relay.js";
import { stampRequest } from "./rewrite.js";
import { routeExchange } from "./routing.js";
import { openTunnel } from "./tunnel.js";
import type { UpstreamOwner } from "./upstream.js";

export class Exchange extends ExchangeRequestSide implements UpstreamOwner, InFlight {
  private responseStatus = 0;
  responseHead: ResponseHead | null = null;
  /** The upstream connection may serve another request afterwards. */
  reusable = true;

  constructor(conn: ExchangeClient, head: RequestHead) {
    super(conn, head);
  }

  // ---- request side (the rest is ExchangeRequestSide's) ---------------------------------

  start(): void {
    if (this.finished) return; // its first body bytes were already refused (malformed chunked body)
    this.requestId = stampRequest(this.head);
    if (this.wantsRequestBody) this.body!.watch(this.ctx.timeouts.bodyMs, this.conn.socket, () => this.onBodyStall());
    routeExchange(this);
  }

  // ---- response side ------------------------------------------------------------------

  /** `data` is borrowed (see UpstreamOwner): only the complete-small-response path avoids a copy. */
  onUpstreamData(data: Buffer): void {
    (this.relay ??= new ResponseRelay(this)).onData(data);
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

  protected abort(): void {
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.destroy();
    this.clientKeepAlive = false;
    this.finish(this.responseStatus || 502);
    this.conn.destroy();
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

// One client connection (plain TCP or TLS): request heads are read
// straight off the socket and served one exchange at a time, pipelined requests wait their turn,
// and an upgraded connection becomes a tunnel.
import type { Duplex } from "node:stream";
import type { ProxyContext } from "./context.js";
import { Exchange } from "./exchange.js";
import { findHeadEnd, HeadError, MAX_HEAD_BYTES, parseRequestHead, type RequestHead, type ResponseHead } from "./head.js";
import { rawErrorReply } from "./replies.js";
import { MAX_QUEUED_BODY } from "./request-body.js";
import { clientResponseHead, type ClientHeadOptions } from "./rewrite.js";
import type { Tunnel } from "./tunnel.js";

/** A client socket: net.Socket or tls.TLSSocket. */
export type ClientSocket = Duplex & {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localPort?: number | undefined;
  encrypted?: boolean;
  setTimeout?(ms: number): unknown;
};

/** The client side of an exchange: a ClientConnection, or an HTTP/2 stream (h2.ts). */
export interface ExchangeClient {
  readonly ctx: ProxyContext;
  /** Where the response's HTTP/1.1 bytes go and whose reading pauses for backpressure. */
  readonly socket: ClientStream;
  readonly secure: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Logged as the request's proto. */
  readonly protocol: string;
  exchangeDone(exchange: Exchange, keepAlive: boolean): void;
  /**
   * Sends the client the head of the target's response (rewritten per `options`), and `body`
   * with it when given: the whole body, borrowed (copied if kept past the call).
   */
  sendResponseHead(response: ResponseHead, options: ClientHeadOptions, body: Buffer | null): void;
  upgraded(tunnel: Tunnel): void;
  takePending(): Buffer | null;
  close(): void;
  destroy(): void;
}

/** What the data path uses of a client socket. */
export interface ClientStream {
  write(data: Buffer | string, encoding?: BufferEncoding): boolean;
  isPaused(): boolean;
  pause(): unknown;
  resume(): unknown;
  cork(): void;
  uncork(): void;
}

/** How long clients may take (slowloris defence); kamal-proxy's http.Server sets none. */
export interface ConnectionTimeouts {
  /** From the first byte of a request head to its end: 408 and close after. */
  headMs: number;
  /** Without a single byte of a request body the proxy is waiting for: 408 (or cut) and close. */
  bodyMs: number;
  /** A connection with nothing in progress and nothing received. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: ConnectionTimeouts = { headMs: 30_000, bodyMs: 60_000, idleMs: 120_000 };

export class ClientConnection implements ExchangeClient {
  private pending: Buffer | null = null;
  exchange: Exchange | null = null;
  private parsing = false;
  /** Armed while a request head is incomplete (set only when a head spans several reads). */
  private headTimer: NodeJS.Timeout | null = null;
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
    this.protocol = "HTTP/1.1";
    socket.on("data", this.onData);
    socket.on("drain", this.onDrain);
    socket.on("close", this.onClose);
    socket.on("error", noop);
    socket.on("timeout", this.onTimeout);
    socket.setTimeout?.(ctx.timeouts.idleMs);
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
          else this.headTimer ??= setTimeout(this.onHeadTimeout, this.ctx.timeouts.headMs);
          return;
        }
        this.clearHeadTimer();
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

  private readonly onHeadTimeout = (): void => {
    this.headTimer = null;
    if (this.exchange === null && this.tunnel === null && !this.closed) this.rejectRaw(408, "request head not received in time");
  };

  private clearHeadTimer(): void {
    if (this.headTimer !== null) {
      clearTimeout(this.headTimer);
      this.headTimer = null;
    }
  }

  /** A response that needs no exchange (malformed request): answer and close. */
  private rejectRaw(status: number, message: string): void {
    this.clearHeadTimer();
    this.socket.write(rawErrorReply(status, message));
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

  sendResponseHead(response: ResponseHead, options: ClientHeadOptions, body: Buffer | null): void {
    const head = clientResponseHead(response, options);
    if (body === null) {
      this.socket.write(head, "latin1");
      return;
    }
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, head.length, "latin1");
    body.copy(out, head.length);
    this.socket.write(out);
  }

  /** The exchange became a tunnel (an accepted upgrade): bytes now flow through it. */
  upgraded(tunnel: Tunnel): void {
    this.exchange = null;
    this.tunnel = tunnel;
    this.socket.setTimeout?.(0);
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
    this.clearHeadTimer();
    if (this.tunnel !== null) this.tunnel.onClientClose();
    this.exchange?.onClientClose();
  };

  private readonly onTimeout = (): void => {
    if (this.exchange === null && this.tunnel === null) this.destroy();
  };
}

function noop(): void {}

export function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

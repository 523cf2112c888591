// One HTTP/2 stream as the client of one exchange, and its "socket" too: request body DATA
// frames go to the exchange (chunk-framed when the request has no Content-Length), and the
// response comes back either as the relay's parsed head (sendResponseHead) or as HTTP/1.1 bytes
// (the proxy's own replies, 1xx), turned into h2 HEADERS/DATA frames; the body's HTTP/1.1
// framing (length, chunked, until close) says when the stream ends.
import http2 from "node:http2";
import { ChunkedScanner, encodeChunk, LAST_CHUNK } from "./chunked.js";
import type { ClientStream, ExchangeClient } from "./client-connection.js";
import type { ProxyContext } from "./context.js";
import { Exchange } from "./exchange.js";
import { findHeadEnd, parseResponseHead, type RequestHead, type ResponseHead } from "./head.js";
import { rawErrorReply } from "./replies.js";
import { droppedResponseHeader, writerCookie, type ClientHeadOptions } from "./rewrite.js";

// Connection-specific headers are illegal in HTTP/2 responses (RFC 9113 §8.2.2).
const H2_FORBIDDEN = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"]);
const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** The TLS connection's addresses, read once per session. */
export interface H2Peer {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
}

/** One h2 stream as the client of one exchange: its socket too (the response's bytes are written to it). */
export class H2StreamClient implements ExchangeClient, ClientStream {
  readonly secure = true;
  readonly protocol = "HTTP/2.0";
  readonly socket: ClientStream = this;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  private exchange: Exchange | null = null;
  private closed = false;
  private chunkedRequest = false;
  private headBuf: Buffer | null = null;
  private response: ResponseHead | null = null;
  /** Response body bytes still to come; -1: until the data path closes. */
  private remaining = 0;
  private scanner: ChunkedScanner | null = null;
  private responseDone = false;
  private waitingDrain = false;

  constructor(
    readonly ctx: ProxyContext,
    peer: H2Peer,
    private readonly stream: http2.ServerHttp2Stream,
    private readonly method: string,
  ) {
    this.remoteAddress = peer.remoteAddress;
    this.remotePort = peer.remotePort;
    this.localPort = peer.localPort;
    stream.on("close", () => this.onStreamClose());
    stream.on("error", noop); // "close" follows
  }

  /** Starts the exchange for the request's head (built from the h2 headers by h2.ts). */
  start(head: RequestHead, hasBody: boolean, chunkedRequest: boolean): void {
    const exchange = new Exchange(this, head);
    this.exchange = exchange;
    if (hasBody) {
      this.chunkedRequest = chunkedRequest;
      this.stream.on("data", (chunk: Buffer) => this.onRequestData(chunk));
      this.stream.on("end", () => this.onRequestEnd());
    }
    exchange.start();
  }

  /** A request too malformed to route: the built-in page, then the stream ends. */
  rejectRaw(status: number, message: string): void {
    this.write(rawErrorReply(status, message));
    this.close();
  }

  private onRequestData(chunk: Buffer): void {
    if (!this.chunkedRequest) this.toExchange(chunk);
    else for (const part of encodeChunk(chunk)) this.toExchange(part);
  }

  private onRequestEnd(): void {
    if (this.chunkedRequest) this.toExchange(LAST_CHUNK);
  }

  /** Request body bytes; once the exchange is done (or wants no more), they are dropped. */
  private toExchange(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange !== null && exchange.wantsRequestBody) exchange.onRequestBody(chunk);
  }

  // ---- ExchangeClient ------------------------------------------------------------------

  exchangeDone(exchange: Exchange, keepAlive: boolean): void {
    if (this.exchange !== exchange) return;
    this.exchange = null;
    if (!keepAlive) this.close();
  }

  upgraded(): void {
    this.destroy(); // never called: h2 refuses Connection/Upgrade request headers, so no h2 request upgrades
  }

  takePending(): Buffer | null {
    return null;
  }

  /**
   * The data path is done with the stream: end it (a close-delimited body ends here) or reset it
   * (a cut response: `abort` destroys right after, and the client has always seen CANCEL for that).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.responseDone || this.stream.destroyed) return;
    if (this.response !== null && this.remaining < 0) this.stream.end();
    else this.stream.close(NGHTTP2_CANCEL);
    // A client that never reads would hold the stream forever.
    setTimeout(() => this.destroy(), 5_000).unref();
  }

  destroy(): void {
    this.closed = true;
    if (!this.stream.destroyed && !this.responseDone) this.stream.close(NGHTTP2_CANCEL);
  }

  private onStreamClose(): void {
    this.closed = true;
    this.exchange?.onClientClose();
  }

  // ---- ClientStream: the response as HTTP/1.1 bytes ----------------------------------------

  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    const stream = this.stream;
    if (this.responseDone || stream.destroyed) return true;
    try {
      this.onResponseBytes(typeof data === "string" ? Buffer.from(data, encoding) : data);
    } catch {
      stream.close(NGHTTP2_INTERNAL_ERROR); // headers h2 refuses; the exchange learns through "close"
      return true;
    }
    if (!stream.writableNeedDrain) return true;
    if (!this.waitingDrain) {
      this.waitingDrain = true;
      stream.once("drain", () => this.onStreamDrain());
    }
    return false;
  }

  private onStreamDrain(): void {
    this.waitingDrain = false;
    this.exchange?.onClientDrain();
  }

  isPaused(): boolean {
    return this.stream.isPaused();
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  cork(): void {}

  uncork(): void {}

  private onResponseBytes(data: Buffer): void {
    if (this.responseDone || this.stream.destroyed) return;
    if (this.response === null) {
      this.onResponseHead(data);
      return;
    }
    if (this.scanner !== null) {
      const end = this.scanner.scan(data, 0, (buf, from, to) => {
        if (to > from) this.stream.write(buf.subarray(from, to));
      });
      if (end !== -1) this.endStream(null);
      return;
    }
    if (this.remaining < 0) {
      this.stream.write(data);
      return;
    }
    const take = Math.min(this.remaining, data.length);
    this.remaining -= take;
    const body = take === data.length ? data : data.subarray(0, take);
    if (this.remaining === 0) this.endStream(body);
    else this.stream.write(body);
  }

  /** A head written as bytes (the proxy's own replies, 1xx): parsed, and 1xx skipped. */
  private onResponseHead(data: Buffer): void {
    const buf = this.headBuf === null ? data : Buffer.concat([this.headBuf, data]);
    const end = findHeadEnd(buf);
    if (end === -1) {
      this.headBuf = buf;
      return;
    }
    this.headBuf = null;
    const response = parseResponseHead(buf, end);
    if (response.status < 200) {
      if (end < buf.length) this.onResponseBytes(buf.subarray(end));
      return;
    }
    const headers: http2.OutgoingHttpHeaders = { ":status": response.status };
    for (let i = 0; i < response.names.length; i++) {
      const name = response.names[i]!;
      if (!H2_FORBIDDEN.has(name)) addHeader(headers, name, response.headers[i * 2 + 1]!);
    }
    this.respond(response, headers, end < buf.length ? buf.subarray(end) : null);
  }

  /** The target's response head, straight from the relay: no HTTP/1.1 text in between. */
  sendResponseHead(response: ResponseHead, options: ClientHeadOptions, body: Buffer | null): void {
    if (this.responseDone || this.stream.destroyed) return;
    const headers: http2.OutgoingHttpHeaders = { ":status": response.status };
    const names = response.names;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name !== "transfer-encoding" && !droppedResponseHeader(name, response, options.dechunk)) addHeader(headers, name, response.headers[i * 2 + 1]!);
    }
    const cookie = writerCookie(response, options);
    if (cookie !== null) addHeader(headers, "set-cookie", cookie);
    try {
      this.respond(response, headers, body === null ? null : Buffer.from(body)); // `body` is borrowed
    } catch {
      this.stream.close(NGHTTP2_INTERNAL_ERROR); // headers h2 refuses; the exchange learns through "close"
    }
  }

  /** HEADERS (ending the stream when there is no body), then the body bytes that came with the head. */
  private respond(response: ResponseHead, headers: http2.OutgoingHttpHeaders, body: Buffer | null): void {
    this.response = response;
    const noBody = this.method === "HEAD" || response.status === 204 || response.status === 304;
    if (noBody || response.contentLength === 0) {
      this.responseDone = true;
      this.stream.respond(headers, { endStream: true });
      return;
    }
    this.stream.respond(headers);
    if (response.chunked) this.scanner = new ChunkedScanner();
    else this.remaining = response.contentLength;
    if (body !== null) this.onResponseBytes(body);
  }

  private endStream(last: Buffer | null): void {
    this.responseDone = true;
    if (last === null || last.length === 0) this.stream.end();
    else this.stream.end(last);
  }
}

function addHeader(headers: http2.OutgoingHttpHeaders, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else headers[name] = Array.isArray(existing) ? [...existing, value] : [String(existing), value];
}

function noop(): void {}

// HTTP/2 over TLS. Each h2 stream is one exchange on the HTTP/1.1 data path, so routing, pause,
// buffering, logging and draining behave exactly as they do for HTTP/1.1. The request head is
// built straight from the h2 headers, validated as a parsed HTTP/1.1 head would be (a body
// without Content-Length goes upstream chunked); the HTTP/1.1 response the data path writes is
// turned into h2 HEADERS/DATA frames. One small object per stream stands in for the client socket.
import http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { ChunkedScanner, encodeChunk, LAST_CHUNK } from "./chunked.js";
import { normalizeAddress, type ClientStream, type ExchangeClient } from "./client-connection.js";
import type { ProxyContext } from "./context.js";
import { Exchange } from "./exchange.js";
import { findHeadEnd, HeadError, MAX_HEAD_BYTES, parseResponseHead, requestHeadFromFields, type RequestHead, type ResponseHead } from "./head.js";
import { rawErrorReply } from "./replies.js";

// Connection-specific headers are illegal in HTTP/2 responses (RFC 9113 §8.2.2).
const H2_FORBIDDEN = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"]);
const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** The TLS connection's addresses, read once per session. */
interface Peer {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
}

export function createH2Server(ctx: ProxyContext): http2.Http2Server {
  const server = http2.createServer({ settings: { enableConnectProtocol: false } });
  server.on("session", (session: http2.ServerHttp2Session) => {
    const socket = session.socket;
    const peer: Peer = { remoteAddress: normalizeAddress(socket.remoteAddress ?? ""), remotePort: socket.remotePort ?? 0, localPort: socket.localPort ?? 0 };
    session.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => openStream(ctx, peer, stream, headers));
  });
  server.on("sessionError", () => undefined);
  return server;
}

/** Hands an ALPN-negotiated h2 TLS socket to the HTTP/2 server. */
export function serveH2(server: http2.Http2Server, socket: TLSSocket): void {
  server.emit("connection", socket);
}

function openStream(ctx: ProxyContext, peer: Peer, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const method = String(headers[":method"] ?? "GET");
  if (method === "CONNECT") {
    stream.respond({ ":status": 405 });
    stream.end();
    return;
  }
  new H2StreamClient(ctx, peer, stream, method).start(headers);
}

/** Bytes `name: value\r\n` takes in an HTTP/1.1 head. */
function pushField(fields: string[], name: string, value: string): number {
  fields.push(name, value);
  return name.length + value.length + 4;
}

/** One h2 stream as the client of one exchange: its socket too (the response's bytes are written to it). */
class H2StreamClient implements ExchangeClient, ClientStream {
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
    peer: Peer,
    private readonly stream: http2.ServerHttp2Stream,
    private readonly method: string,
  ) {
    this.remoteAddress = peer.remoteAddress;
    this.remotePort = peer.remotePort;
    this.localPort = peer.localPort;
    stream.on("close", this.onStreamClose);
    stream.on("error", noop); // "close" follows
  }

  /** Builds the request's HTTP/1.1 head from the h2 headers and starts its exchange. */
  start(headers: http2.IncomingHttpHeaders): void {
    const method = this.method;
    const target = String(headers[":path"] ?? "/");
    const authority = String(headers[":authority"] ?? headers.host ?? "");
    const fields = ["Host", authority];
    // What the head would weigh as HTTP/1.1: request line, Host, the fields, the blank line.
    let size = method.length + target.length + 12 + authority.length + 8 + 2;
    let hasLength = false;
    for (const name in headers) {
      if (name.charCodeAt(0) === 58 /* : */ || name === "host") continue;
      const value = headers[name];
      if (value === undefined) continue;
      if (name === "content-length") hasLength = true;
      if (!Array.isArray(value)) size += pushField(fields, name, String(value));
      else if (name === "cookie") size += pushField(fields, name, value.join("; "));
      else for (const item of value) size += pushField(fields, name, item);
    }
    const stream = this.stream;
    const hasBody = !stream.readableEnded && !stream.endAfterHeaders;
    if (hasBody && !hasLength) {
      this.chunkedRequest = true;
      size += pushField(fields, "transfer-encoding", "chunked");
    }
    if (size > MAX_HEAD_BYTES) {
      this.rejectRaw(431, "request head too large");
      return;
    }
    let head: RequestHead;
    try {
      head = requestHeadFromFields(method, target, fields);
    } catch (error) {
      this.rejectRaw(error instanceof HeadError ? error.status : 400, (error as Error).message);
      return;
    }
    const exchange = new Exchange(this, head);
    this.exchange = exchange;
    if (hasBody) {
      stream.on("data", this.onRequestData);
      stream.on("end", this.onRequestEnd);
    }
    exchange.start();
  }

  /** A request too malformed to route: the built-in page, then the stream ends. */
  private rejectRaw(status: number, message: string): void {
    this.write(rawErrorReply(status, message));
    this.close();
  }

  private readonly onRequestData = (chunk: Buffer): void => {
    if (!this.chunkedRequest) this.toExchange(chunk);
    else for (const part of encodeChunk(chunk)) this.toExchange(part);
  };

  private readonly onRequestEnd = (): void => {
    if (this.chunkedRequest) this.toExchange(LAST_CHUNK);
  };

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
    this.destroy(); // h2 requests carry no Upgrade (the head is built without one)
  }

  takePending(): Buffer | null {
    return null;
  }

  /** The data path is done with the stream: end it (a close-delimited body ends here) or reset it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.responseDone || this.stream.destroyed) return;
    if (this.response !== null && this.remaining < 0) this.stream.end();
    else this.stream.close(NGHTTP2_INTERNAL_ERROR);
    // A client that never reads would hold the stream forever.
    setTimeout(() => this.destroy(), 5_000).unref();
  }

  destroy(): void {
    this.closed = true;
    if (!this.stream.destroyed && !this.responseDone) this.stream.close(NGHTTP2_CANCEL);
  }

  private readonly onStreamClose = (): void => {
    this.closed = true;
    this.exchange?.onClientClose();
  };

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
      stream.once("drain", this.onStreamDrain);
    }
    return false;
  }

  private readonly onStreamDrain = (): void => {
    this.waitingDrain = false;
    this.exchange?.onClientDrain();
  };

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
      if (end < buf.length) this.onResponseBytes(buf.subarray(end)); // 1xx: skipped
      return;
    }
    this.response = response;
    const headers: http2.OutgoingHttpHeaders = { ":status": response.status };
    for (let i = 0; i < response.names.length; i++) {
      const name = response.names[i]!;
      if (H2_FORBIDDEN.has(name)) continue;
      const value = response.headers[i * 2 + 1]!;
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else headers[name] = Array.isArray(existing) ? [...existing, value] : [String(existing), value];
    }
    const noBody = this.method === "HEAD" || response.status === 204 || response.status === 304;
    if (noBody || response.contentLength === 0) {
      this.responseDone = true;
      this.stream.respond(headers, { endStream: true });
      return;
    }
    this.stream.respond(headers);
    if (response.chunked) this.scanner = new ChunkedScanner();
    else this.remaining = response.contentLength;
    if (end < buf.length) this.onResponseBytes(buf.subarray(end));
  }

  private endStream(last: Buffer | null): void {
    this.responseDone = true;
    if (last === null || last.length === 0) this.stream.end();
    else this.stream.end(last);
  }
}

function noop(): void {}

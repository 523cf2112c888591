// HTTP/2 over TLS. Each h2 stream is bridged to the HTTP/1.1 data path as a one-request
// "socket": the request is written to it as an HTTP/1.1 message and the HTTP/1.1 response the
// data path writes back is turned into h2 HEADERS/DATA frames. Routing, pause, buffering,
// logging and draining therefore behave exactly as they do for HTTP/1.1.
import http2 from "node:http2";
import { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { ChunkedScanner, encodeChunk, LAST_CHUNK } from "./chunked.js";
import { ClientConnection } from "./client-connection.js";
import type { ProxyContext } from "./context.js";
import { findHeadEnd, parseResponseHead, type ResponseHead } from "./head.js";

// Connection-specific headers are illegal in HTTP/2 responses (RFC 9113 §8.2.2).
const H2_FORBIDDEN = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"]);

export function createH2Server(ctx: ProxyContext): http2.Http2Server {
  const server = http2.createServer({ settings: { enableConnectProtocol: false } });
  server.on("stream", (stream, headers) => bridgeStream(ctx, stream, headers));
  server.on("sessionError", () => undefined);
  return server;
}

/** Hands an ALPN-negotiated h2 TLS socket to the HTTP/2 server. */
export function serveH2(server: http2.Http2Server, socket: TLSSocket): void {
  server.emit("connection", socket);
}

function bridgeStream(ctx: ProxyContext, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const method = String(headers[":method"] ?? "GET");
  if (method === "CONNECT") {
    stream.respond({ ":status": 405 });
    stream.end();
    return;
  }
  const socket = new H2StreamSocket(stream, method);
  const session = stream.session;
  const tls = session?.socket as TLSSocket | undefined;
  socket.remoteAddress = tls?.remoteAddress;
  socket.remotePort = tls?.remotePort;
  socket.localPort = tls?.localPort;
  new ClientConnection(socket, ctx);
  socket.pushRequest(headers);
}

class H2StreamSocket extends Duplex {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localPort: number | undefined;
  readonly encrypted = true;
  readonly httpProtocol = "HTTP/2.0";
  private headBuf: Buffer | null = null;
  private response: ResponseHead | null = null;
  private remaining = 0;
  private scanner: ChunkedScanner | null = null;
  private responseDone = false;
  private chunkedRequest = false;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly method: string,
  ) {
    super({ allowHalfOpen: true });
    stream.on("close", () => this.destroy());
    stream.on("error", () => this.destroy());
  }

  setTimeout(): this {
    return this;
  }

  pushRequest(headers: http2.IncomingHttpHeaders): void {
    const authority = String(headers[":authority"] ?? headers.host ?? "");
    let head = `${this.method} ${String(headers[":path"] ?? "/")} HTTP/1.1\r\nHost: ${authority}\r\n`;
    let hasLength = false;
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(":") || name === "host" || value === undefined) continue;
      if (name === "content-length") hasLength = true;
      if (name === "cookie" && Array.isArray(value)) head += `cookie: ${value.join("; ")}\r\n`;
      else if (Array.isArray(value)) for (const item of value) head += `${name}: ${item}\r\n`;
      else head += `${name}: ${value}\r\n`;
    }
    const hasBody = !this.stream.readableEnded && !(this.stream as unknown as { endAfterHeaders?: boolean }).endAfterHeaders;
    if (hasBody && !hasLength) {
      this.chunkedRequest = true;
      head += "transfer-encoding: chunked\r\n";
    }
    this.push(Buffer.from(head + "\r\n", "latin1"));
    if (!hasBody) return;
    this.stream.on("data", (chunk: Buffer) => {
      const more = this.chunkedRequest ? encodeChunk(chunk).every((part) => this.push(part)) : this.push(chunk);
      if (!more) this.stream.pause();
    });
    this.stream.on("end", () => {
      if (this.chunkedRequest) this.push(LAST_CHUNK);
    });
  }

  override _read(): void {
    if (this.stream.isPaused()) this.stream.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.onResponseBytes(chunk);
    } catch (error) {
      this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      callback(error as Error);
      return;
    }
    if (this.stream.writableNeedDrain) this.stream.once("drain", () => callback());
    else callback();
  }

  private onResponseBytes(data: Buffer): void {
    if (this.responseDone || this.stream.destroyed) return;
    if (this.response === null) {
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
      this.response = response;
      const headers: http2.OutgoingHttpHeaders = { ":status": response.status };
      for (let i = 0; i < response.headers.length; i += 2) {
        const name = response.headers[i]!.toLowerCase();
        if (H2_FORBIDDEN.has(name)) continue;
        const value = response.headers[i + 1]!;
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
      else this.remaining = response.contentLength; // -1: until the data path ends the socket
      if (end < buf.length) this.onResponseBytes(buf.subarray(end));
      return;
    }
    if (this.scanner !== null) {
      const end = this.scanner.scan(data, 0, (buf, from, to) => {
        if (to > from) this.stream.write(buf.subarray(from, to));
      });
      if (end !== -1) this.endStream();
      return;
    }
    if (this.remaining < 0) {
      this.stream.write(data);
      return;
    }
    const take = Math.min(this.remaining, data.length);
    this.stream.write(take === data.length ? data : data.subarray(0, take));
    this.remaining -= take;
    if (this.remaining === 0) this.endStream();
  }

  private endStream(): void {
    this.responseDone = true;
    this.stream.end();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.responseDone && !this.stream.destroyed) {
      if (this.response !== null && this.remaining < 0) this.stream.end();
      else this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.stream.destroyed && !this.responseDone) this.stream.close(http2.constants.NGHTTP2_CANCEL);
    callback(error);
  }
}

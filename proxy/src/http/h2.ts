// HTTP/2 over TLS. Each h2 stream is one exchange on the HTTP/1.1 data path, so routing, pause,
// buffering, logging and draining behave exactly as they do for HTTP/1.1. The request head is
// built straight from the h2 headers and validated as a parsed HTTP/1.1 head would be (a body
// without Content-Length goes upstream chunked); h2-stream.ts carries the stream itself.
import http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { normalizeAddress } from "./client-connection.js";
import type { ProxyContext } from "./context.js";
import { H2StreamClient, type H2Peer } from "./h2-stream.js";
import { HeadError, MAX_HEAD_BYTES, requestHeadFromFields, type RequestHead } from "./head.js";

export function createH2Server(ctx: ProxyContext): http2.Http2Server {
  const server = http2.createServer({ settings: { enableConnectProtocol: false } });
  server.on("session", (session: http2.ServerHttp2Session) => {
    const socket = session.socket;
    const peer: H2Peer = { remoteAddress: normalizeAddress(socket.remoteAddress ?? ""), remotePort: socket.remotePort ?? 0, localPort: socket.localPort ?? 0 };
    session.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => openStream(ctx, peer, stream, headers));
  });
  server.on("sessionError", () => undefined);
  return server;
}

/** Hands an ALPN-negotiated h2 TLS socket to the HTTP/2 server. */
export function serveH2(server: http2.Http2Server, socket: TLSSocket): void {
  server.emit("connection", socket);
}

function openStream(ctx: ProxyContext, peer: H2Peer, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const method = String(headers[":method"] ?? "GET");
  if (method === "CONNECT") {
    stream.respond({ ":status": 405 });
    stream.end();
    return;
  }
  const client = new H2StreamClient(ctx, peer, stream, method);
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
  const hasBody = !stream.readableEnded && !stream.endAfterHeaders;
  const chunked = hasBody && !hasLength;
  if (chunked) size += pushField(fields, "transfer-encoding", "chunked");
  if (size > MAX_HEAD_BYTES) {
    client.rejectRaw(431, "request head too large");
    return;
  }
  let head: RequestHead;
  try {
    head = requestHeadFromFields(method, target, fields);
  } catch (error) {
    client.rejectRaw(error instanceof HeadError ? error.status : 400, (error as Error).message);
    return;
  }
  client.start(head, hasBody, chunked);
}

/** Bytes `name: value\r\n` takes in an HTTP/1.1 head. */
function pushField(fields: string[], name: string, value: string): number {
  fields.push(name, value);
  return name.length + value.length + 4;
}

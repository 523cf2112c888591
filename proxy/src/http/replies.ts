// Answers the proxy writes itself: error pages, redirects, the 200 for health checks while a
// service is paused, ACME answers, and the raw error for a request too malformed to route.
import { renderErrorPage, type ErrorPages } from "../server/error-pages.js";
import { statusText, type ResponseHead } from "./head.js";

const HTML = "text/html; charset=utf-8";

export interface Reply {
  status: number;
  contentType: string;
  body: string;
  /** Extra headers: name, value, name, value… */
  headers: readonly string[];
}

export function errorReply(pages: ErrorPages | null, status: number, message: string): Reply {
  return { status, contentType: HTML, body: renderErrorPage(pages, status, message), headers: NO_HEADERS };
}

export function redirectReply(location: string): Reply {
  return { status: 301, contentType: HTML, body: `<a href="${location.replace(/"/g, "&quot;")}">Moved Permanently</a>.\n`, headers: ["Location", location] };
}

export const NO_HEADERS: readonly string[] = [];

/** The reply's bytes; `headOnly` for HEAD requests. */
export function encodeReply(reply: Reply, keepAlive: boolean, headOnly: boolean): Buffer {
  let out = `HTTP/1.1 ${reply.status} ${statusText(reply.status)}\r\n`;
  if (reply.contentType !== "") out += `Content-Type: ${reply.contentType}\r\n`;
  const extra = reply.headers;
  for (let i = 0; i < extra.length; i += 2) out += `${extra[i]}: ${extra[i + 1]}\r\n`;
  out += `Content-Length: ${Buffer.byteLength(reply.body)}\r\n`;
  if (!keepAlive) out += "Connection: close\r\n";
  const headBytes = Buffer.from(out + "\r\n", "latin1");
  return headOnly ? headBytes : Buffer.concat([headBytes, Buffer.from(reply.body, "utf8")]);
}

/** The reply as the access log sees a response. */
export function replyHead(reply: Reply): ResponseHead {
  const length = Buffer.byteLength(reply.body);
  return {
    status: reply.status,
    reason: "",
    minor: 1,
    headers: ["Content-Type", reply.contentType, "Content-Length", String(length)],
    names: ["content-type", "content-length"],
    contentLength: length,
    chunked: false,
    keepAlive: true,
  };
}

/** For a request that never became an exchange: the built-in page, then the connection closes. */
export function rawErrorReply(status: number, message: string): string {
  const body = renderErrorPage(null, status, message);
  return `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: ${HTML}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

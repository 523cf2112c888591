import { describe, expect, it } from "vitest";
import { findHeadEnd, parseRequestHead, parseResponseHead } from "../../../src/http/head.js";
import { clientResponseHead, stampRequest, upstreamRequestHead, type UpstreamHeadOptions } from "../../../src/http/rewrite.js";

const head = (text: string): ReturnType<typeof parseRequestHead> => {
  const buf = Buffer.from(text, "latin1");
  return parseRequestHead(buf, findHeadEnd(buf));
};
const options = (overrides: Partial<UpstreamHeadOptions> = {}): UpstreamHeadOptions => ({
  path: "/",
  forward: false,
  clientIp: "203.0.113.9",
  secure: false,
  targetName: "app-web-1:80",
  announceTarget: false,
  dropExpect: false,
  ...overrides,
});
const lines = (text: string): string[] => text.split("\r\n").filter((line) => line !== "");

const SPOOFED =
  "GET / HTTP/1.1\r\nHost: app.test\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.test\r\n" +
  "X-Forwarded-Ssl: on\r\nX-Forwarded-Port: 443\r\nX-Forwarded-Prefix: /admin\r\nForwarded: for=10.0.0.1;proto=https\r\n\r\n";

describe("upstream request head", () => {
  it("does not trust a client's X-Forwarded-* or Forwarded without --forward-headers", () => {
    expect(lines(upstreamRequestHead(head(SPOOFED), options()))).toEqual([
      "GET / HTTP/1.1",
      "Host: app.test",
      "X-Forwarded-For: 203.0.113.9",
      "X-Forwarded-Proto: http",
      "X-Forwarded-Host: app.test",
    ]);
  });

  it("extends and keeps them with --forward-headers (a proxy in front), except Forwarded (as kamal-proxy)", () => {
    expect(lines(upstreamRequestHead(head(SPOOFED), options({ forward: true })))).toEqual([
      "GET / HTTP/1.1",
      "Host: app.test",
      "X-Forwarded-Ssl: on",
      "X-Forwarded-Port: 443",
      "X-Forwarded-Prefix: /admin",
      "X-Forwarded-For: 10.0.0.1, 203.0.113.9",
      "X-Forwarded-Proto: https",
      "X-Forwarded-Host: evil.test",
    ]);
  });

  it("drops hop-by-hop headers and those the Connection header names, announces the target and the upgrade", () => {
    const request = head("GET /ws HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade, X-Secret\r\nX-Secret: 1\r\nUpgrade: websocket\r\nTE: trailers\r\nKeep-Alive: 5\r\nX-Kept: yes\r\n\r\n");
    expect(lines(upstreamRequestHead(request, options({ path: "/ws", announceTarget: true, secure: true })))).toEqual([
      "GET /ws HTTP/1.1",
      "Host: app.test",
      "X-Kept: yes",
      "X-Forwarded-For: 203.0.113.9",
      "X-Forwarded-Proto: https",
      "X-Forwarded-Host: app.test",
      "X-Kamal-Target: app-web-1:80",
      "Connection: Upgrade",
      "Upgrade: websocket",
    ]);
  });

  it("stamps X-Request-ID and X-Request-Start only when missing", () => {
    const fresh = head("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(stampRequest(fresh)).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.names).toEqual(["host", "x-request-id", "x-request-start"]);
    const given = head("GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\r\nX-Request-Start: t=1\r\n\r\n");
    expect(stampRequest(given)).toBe("abc");
    expect(given.names).toHaveLength(3);
  });
});

describe("client response head", () => {
  const response = (text: string): ReturnType<typeof parseResponseHead> => {
    const buf = Buffer.from(text, "latin1");
    return parseResponseHead(buf, buf.length);
  };
  const base = { dechunk: false, keepAlive: true, http10: false, balancer: null, method: "GET" };

  it("never passes Content-Length on with a chunked body", () => {
    const both = response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n");
    expect(lines(clientResponseHead(both, base))).toEqual(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "X-A: 1"]);
  });

  it("says when the connection closes, and keeps HTTP/1.0 clients alive explicitly", () => {
    const plain = response("HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
    expect(lines(clientResponseHead(plain, { ...base, keepAlive: false }))).toEqual(["HTTP/1.1 204 No Content", "Connection: close"]);
    expect(lines(clientResponseHead(plain, { ...base, http10: true }))).toEqual(["HTTP/1.1 204 No Content", "Connection: keep-alive"]);
  });
});

import { describe, expect, it } from "vitest";
import { ChunkedScanner, MAX_CHUNK_EXTENSION, MAX_TRAILER } from "../../../src/http/chunked.js";
import type { HeadError} from "../../../src/http/head.js";
import { findHeadEnd, MAX_HEADER_FIELDS, parseRequestHead, parseResponseHead, requestHeadFromFields } from "../../../src/http/head.js";
import { cookieValue, hostWithoutPort } from "../../../src/http/routing.js";

const req = (text: string): ReturnType<typeof parseRequestHead> => {
  const buf = Buffer.from(text, "latin1");
  return parseRequestHead(buf, findHeadEnd(buf));
};

describe("request heads", () => {
  it("parses method, target, headers and framing", () => {
    const head = req("POST /a?b=1 HTTP/1.1\r\nHost: Example.com:8080\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello");
    expect(head).toMatchObject({ method: "POST", target: "/a?b=1", minor: 1, host: "Example.com:8080", contentLength: 5, chunked: false, keepAlive: true, upgrade: "" });
    expect(head.headers).toEqual(["Host", "Example.com:8080", "Content-Length", "5", "X-A", "1"]);
  });

  it("knows keep-alive rules for HTTP/1.0 and 1.1 and upgrade requests", () => {
    expect(req("GET / HTTP/1.0\r\n\r\n").keepAlive).toBe(false);
    expect(req("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keepAlive).toBe(true);
    expect(req("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").keepAlive).toBe(false);
    expect(req("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").upgrade).toBe("websocket");
    expect(req("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n").upgrade).toBe("");
  });

  it("reduces absolute-form targets to origin form", () => {
    expect(req("GET http://example.com/x?y HTTP/1.1\r\n\r\n")).toMatchObject({ target: "/x?y", host: "example.com" });
  });

  it("rejects request smuggling shapes and malformed input", () => {
    const status = (text: string): number => {
      try {
        req(text);
        return 0;
      } catch (error) {
        return (error as HeadError).status;
      }
    };
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")).toBe(400);
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")).toBe(400);
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")).toBe(400);
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")).toBe(501);
    expect(status("GET / HTTP/1.1\r\n\r\n")).toBe(400);
    expect(status("GET / HTTP/2.0\r\nHost: x\r\n\r\n")).toBe(505);
    expect(status("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")).toBe(400);
    expect(status("GET /a\nLocation:x HTTP/1.1\r\nHost: x\r\n\r\n")).toBe(400);
    expect(status("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n")).toBe(400);
  });

  it("refuses framing two parsers could read differently, and header fields a target could misread", () => {
    const status = (text: string): number | string => {
      try {
        req(text);
        return 0;
      } catch (error) {
        return `${(error as HeadError).status} ${(error as Error).message}`;
      }
    };
    expect(status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")).toBe("400 Transfer-Encoding in an HTTP/1.0 request");
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n")).toBe("400 chunked applied more than once");
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")).toBe("400 chunked applied more than once");
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n")).toBe("501 unsupported Transfer-Encoding");
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n")).toBe("400 malformed Content-Length");
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n")).toBe("400 malformed Content-Length");
    expect(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n")).toBe('400 malformed header name "Content-Length "');
    expect(status("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n")).toBe("400 more than one Host header");
    expect(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n")).toBe("400 malformed header line");
    expect(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x0bb\r\n\r\n")).toBe("400 malformed header value");
    expect(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7f\r\n\r\n")).toBe("400 malformed header value");
    expect(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\n\r\n")).toBe(0);
  });

  it("answers 431 past 256 header fields", () => {
    const head = (count: number): string => `GET / HTTP/1.1\r\nHost: x\r\n${"X-A: 1\r\n".repeat(count - 1)}\r\n`;
    expect(req(head(256)).names).toHaveLength(256);
    expect(() => req(head(257))).toThrow("too many header fields");
  });
});

describe("request heads from fields (HTTP/2)", () => {
  /** The status a head made of parts is refused with, as parsing the same head from bytes does. */
  const refusal = (method: string, target: string, fields: string[]): number[] => {
    const text = `${method} ${target} HTTP/1.1\r\n${fields.map((item, i) => (i % 2 === 0 ? `${item}: ` : `${item}\r\n`)).join("")}\r\n`;
    return [() => requestHeadFromFields(method, target, fields), () => req(text)].map((parse) => {
      try {
        parse();
        return 0;
      } catch (error) {
        return (error as HeadError).status;
      }
    });
  };

  it("builds the same head as the equivalent HTTP/1.1 bytes", () => {
    const fields = ["Host", "example.com", "content-length", "3", "x-a", " 1 ", "cookie", "a=1; b=2"];
    const head = requestHeadFromFields("POST", "/p?q", fields);
    expect(head).toEqual(req("POST /p?q HTTP/1.1\r\nHost: example.com\r\ncontent-length: 3\r\nx-a:  1 \r\ncookie: a=1; b=2\r\n\r\n"));
    expect(head).toMatchObject({ method: "POST", target: "/p?q", minor: 1, host: "example.com", contentLength: 3, keepAlive: true });
    expect(requestHeadFromFields("POST", "/", ["Host", "x", "transfer-encoding", "chunked"]).chunked).toBe(true);
  });

  it("refuses what a parsed head refuses, with the same status", () => {
    expect(refusal("GET", "/", ["Host", "x", "x-bad", "a\x01b"])).toEqual([400, 400]);
    expect(refusal("GET", "/", ["Host", "x", "bad name", "1"])).toEqual([400, 400]);
    expect(refusal("GET", "/a\x7fb", ["Host", "x"])).toEqual([400, 400]);
    expect(refusal("POST", "/", ["Host", "x", "content-length", "1", "content-length", "2"])).toEqual([400, 400]);
    expect(refusal("POST", "/", ["Host", "x", "content-length", "1", "transfer-encoding", "chunked"])).toEqual([400, 400]);
    expect(refusal("POST", "/", ["Host", "x", "transfer-encoding", "gzip"])).toEqual([501, 501]);
    expect(refusal("GET", "/", ["Host", "x", "host", "y"])).toEqual([400, 400]);
    const many = Array.from({ length: MAX_HEADER_FIELDS }, (_, i) => [`x-${i}`, "1"]).flat();
    expect(refusal("GET", "/", ["Host", "x", ...many])).toEqual([431, 431]);
    expect(refusal("GET", "/", ["Host", "x", ...many.slice(2)])).toEqual([0, 0]);
  });
});

describe("response heads", () => {
  it("parses status, reason and framing", () => {
    const buf = Buffer.from("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\n", "latin1");
    expect(parseResponseHead(buf, buf.length)).toMatchObject({ status: 404, reason: "Not Found", contentLength: 3, keepAlive: true });
    const chunked = Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", "latin1");
    expect(parseResponseHead(chunked, chunked.length)).toMatchObject({ chunked: true, contentLength: -1, keepAlive: false });
  });
});

describe("chunked scanner", () => {
  it("finds the end of a chunked body split anywhere, with extensions and trailers", () => {
    const body = Buffer.from("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT", "latin1");
    for (let split = 1; split < body.length - 4; split++) {
      const scanner = new ChunkedScanner();
      const data: string[] = [];
      const collect = (buf: Buffer, from: number, to: number): void => void data.push(buf.subarray(from, to).toString());
      expect(scanner.scan(body.subarray(0, split), 0, collect)).toBe(-1);
      const end = scanner.scan(body.subarray(split), 0, collect);
      expect(end + split).toBe(body.length - 4);
      expect(data.join("")).toBe("hello world");
      expect(scanner.dataBytes).toBe(11);
    }
  });

  it("rejects malformed sizes", () => {
    expect(() => new ChunkedScanner().scan(Buffer.from("zz\r\n"))).toThrow("malformed chunk size");
  });

  it("refuses control characters and unbounded lengths in chunk extensions and trailers", () => {
    // A bare LF would end the size line for a lenient parser behind the proxy: what follows would be a second request to it.
    expect(() => new ChunkedScanner().scan(Buffer.from("5;a\nGET /admin HTTP/1.1\r\nhello\r\n0\r\n\r\n"))).toThrow("malformed chunk extension");
    expect(() => new ChunkedScanner().scan(Buffer.from("0\r\nX-T: a\nb\r\n\r\n"))).toThrow("malformed trailer");
    expect(() => new ChunkedScanner().scan(Buffer.from(`1;${"e".repeat(MAX_CHUNK_EXTENSION + 1)}\r\nx\r\n0\r\n\r\n`))).toThrow("chunk extension too long");
    // The limit holds across reads too.
    const scanner = new ChunkedScanner();
    const piece = Buffer.from("e".repeat(1024));
    expect(scanner.scan(Buffer.from("1;"))).toBe(-1);
    expect(() => {
      for (let i = 0; i < 20; i++) scanner.scan(piece);
    }).toThrow("chunk extension too long");
    const trailers = `0\r\n${"X-T: 1234567890\r\n".repeat(MAX_TRAILER / 16)}\r\n`;
    expect(() => new ChunkedScanner().scan(Buffer.from(trailers))).toThrow("trailer too long");
    const fine = Buffer.from(`1;${"e".repeat(100)}\r\nx\r\n0\r\nX-T: 1\r\n\r\n`);
    expect(new ChunkedScanner().scan(fine)).toBe(fine.length);
  });
});

describe("helpers", () => {
  it("strips ports from hosts and reads cookies", () => {
    expect(hostWithoutPort("example.com:8080")).toBe("example.com");
    expect(hostWithoutPort("[::1]:80")).toBe("::1");
    expect(cookieValue("a=1; kamal-rollout=acct-7; b=2", "kamal-rollout")).toBe("acct-7");
    expect(cookieValue("a=1", "kamal-rollout")).toBeUndefined();
  });
});

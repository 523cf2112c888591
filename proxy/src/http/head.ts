// HTTP/1.x message heads, parsed from raw bytes. The data path reads heads itself (instead
// of through node:http) so a proxied request costs one parse and one rebuilt head string.

export const MAX_HEAD_BYTES = 64 * 1024;
/** Header fields per head (Apache's LimitRequestFields is 100, HAProxy's maxhdr 101): 431 past it. */
export const MAX_HEADER_FIELDS = 256;

export class HeadError extends Error {
  constructor(
    message: string,
    readonly status: number = 400,
  ) {
    super(message);
  }
}

export interface RequestHead {
  method: string;
  /** Request target as sent: origin form `/path?query` (absolute form is reduced to it). */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** Flat list: name, value, name, value… in arrival order, names as sent. */
  headers: string[];
  /** Lower-cased names, one per header (index i ↔ headers[2i]). */
  names: string[];
  host: string;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  /** Upgrade header value when `Connection: upgrade` asks for one, else "". */
  upgrade: string;
  expectContinue: boolean;
}

export interface ResponseHead {
  status: number;
  reason: string;
  minor: number;
  headers: string[];
  names: string[];
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters other than HTAB (RFC 9110 §5.5): a target might read them differently.
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const HEADER_VALUE_BAD = /[\x00-\x08\x0a-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const BAD_TARGET = /[\x00-\x20\x7f]/;

/** Index just past the blank line that ends a head in `buf`, or -1. */
export function findHeadEnd(buf: Buffer, from = 0): number {
  const index = buf.indexOf("\r\n\r\n", Math.max(0, from - 3), "latin1");
  return index === -1 ? -1 : index + 4;
}

interface ParsedFields {
  headers: string[];
  names: string[];
  contentLength: number;
  chunked: boolean;
  connectionClose: boolean;
  connectionKeepAlive: boolean;
  connectionUpgrade: boolean;
  upgrade: string;
  host: string;
  expectContinue: boolean;
  transferEncoding: boolean;
  /** How many times `chunked` is listed across Transfer-Encoding fields. */
  chunkedCount: number;
  hostCount: number;
}

function newFields(): ParsedFields {
  return {
    headers: [],
    names: [],
    contentLength: -1,
    chunked: false,
    connectionClose: false,
    connectionKeepAlive: false,
    connectionUpgrade: false,
    upgrade: "",
    host: "",
    expectContinue: false,
    transferEncoding: false,
    chunkedCount: 0,
    hostCount: 0,
  };
}

function parseFields(lines: string[]): ParsedFields {
  const fields = newFields();
  if (lines.length > MAX_HEADER_FIELDS + 1) throw new HeadError("too many header fields", 431);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HeadError("malformed header line");
    addField(fields, line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Validates one field (`value` untrimmed) and notes what it says about the message. */
function addField(fields: ParsedFields, name: string, rawValue: string): void {
  if (!TOKEN.test(name)) throw new HeadError(`malformed header name ${JSON.stringify(name)}`);
  const value = rawValue.trim();
  if (HEADER_VALUE_BAD.test(value)) throw new HeadError("malformed header value");
  fields.headers.push(name, value);
  const lower = name.toLowerCase();
  fields.names.push(lower);
  switch (lower) {
    case "host":
      fields.host = value;
      fields.hostCount++;
      break;
    case "expect":
      if (value.toLowerCase() === "100-continue") fields.expectContinue = true;
      break;
    case "upgrade":
      fields.upgrade = value;
      break;
    case "connection":
      for (const token of value.toLowerCase().split(",")) {
        const option = token.trim();
        if (option === "close") fields.connectionClose = true;
        else if (option === "keep-alive") fields.connectionKeepAlive = true;
        else if (option === "upgrade") fields.connectionUpgrade = true;
      }
      break;
    case "content-length": {
      if (!/^\d{1,15}$/.test(value)) throw new HeadError("malformed Content-Length");
      const length = Number(value);
      if (fields.contentLength !== -1 && fields.contentLength !== length) throw new HeadError("conflicting Content-Length");
      fields.contentLength = length;
      break;
    }
    case "transfer-encoding": {
      fields.transferEncoding = true;
      const codings = value.toLowerCase().split(",").map((coding) => coding.trim());
      for (const coding of codings) if (coding === "chunked") fields.chunkedCount++;
      fields.chunked = codings[codings.length - 1] === "chunked";
      break;
    }
  }
}

function parseVersion(version: string): number {
  if (version === "HTTP/1.1") return 1;
  if (version === "HTTP/1.0") return 0;
  throw new HeadError("unsupported HTTP version", 505);
}

/** Parses a request head; `end` is the index past its blank line. */
export function parseRequestHead(buf: Buffer, end: number): RequestHead {
  const text = buf.toString("latin1", 0, end - 4);
  const lines = text.split("\r\n");
  const requestLine = lines[0]!;
  const firstSpace = requestLine.indexOf(" ");
  const lastSpace = requestLine.lastIndexOf(" ");
  if (firstSpace <= 0 || lastSpace === firstSpace) throw new HeadError("malformed request line");
  const method = requestLine.slice(0, firstSpace);
  if (!TOKEN.test(method)) throw new HeadError("malformed method");
  const target = requestLine.slice(firstSpace + 1, lastSpace);
  checkTarget(target);
  const minor = parseVersion(requestLine.slice(lastSpace + 1));
  return requestHead(method, target, minor, parseFields(lines));
}

/**
 * The head of an HTTP/1.1 request made of already-split parts (an HTTP/2 stream's): validated
 * exactly as if `method target HTTP/1.1` and `fields` (name, value, …) had been parsed from bytes.
 */
export function requestHeadFromFields(method: string, target: string, fields: readonly string[]): RequestHead {
  if (!TOKEN.test(method)) throw new HeadError("malformed method");
  checkTarget(target);
  if (fields.length > MAX_HEADER_FIELDS * 2) throw new HeadError("too many header fields", 431);
  const parsed = newFields();
  for (let i = 0; i < fields.length; i += 2) addField(parsed, fields[i]!, fields[i + 1]!);
  return requestHead(method, target, 1, parsed);
}

function checkTarget(target: string): void {
  // Control characters or spaces in the target could smuggle lines into redirects and logs.
  if (target === "" || BAD_TARGET.test(target)) throw new HeadError("malformed request target");
}

function requestHead(method: string, rawTarget: string, minor: number, fields: ParsedFields): RequestHead {
  let target = rawTarget;
  // Framing that two parsers could read differently is refused, never guessed (request smuggling).
  if (fields.transferEncoding && fields.contentLength !== -1) throw new HeadError("both Content-Length and Transfer-Encoding");
  if (fields.transferEncoding && minor === 0) throw new HeadError("Transfer-Encoding in an HTTP/1.0 request");
  if (fields.chunkedCount > 1) throw new HeadError("chunked applied more than once");
  if (fields.transferEncoding && !fields.chunked) throw new HeadError("unsupported Transfer-Encoding", 501);
  if (fields.hostCount > 1) throw new HeadError("more than one Host header");
  if (target.charCodeAt(0) !== 47 /* / */) {
    if (target === "*" && method === "OPTIONS") {
      // kept as is
    } else {
      const match = /^https?:\/\/([^/?#]*)(.*)$/i.exec(target);
      if (!match) throw new HeadError("malformed request target");
      if (fields.host === "") fields.host = match[1]!;
      target = match[2] === "" ? "/" : match[2]!;
      if (target.charCodeAt(0) !== 47) target = "/" + target;
    }
  }
  if (minor === 1 && fields.host === "" && !fields.names.includes("host")) {
    throw new HeadError("missing Host header");
  }
  return {
    method,
    target,
    minor,
    headers: fields.headers,
    names: fields.names,
    host: fields.host,
    contentLength: fields.contentLength,
    chunked: fields.chunked,
    keepAlive: minor === 1 ? !fields.connectionClose : fields.connectionKeepAlive && !fields.connectionClose,
    upgrade: fields.connectionUpgrade ? fields.upgrade : "",
    expectContinue: fields.expectContinue,
  };
}

export function parseResponseHead(buf: Buffer, end: number): ResponseHead {
  const text = buf.toString("latin1", 0, end - 4);
  const lines = text.split("\r\n");
  const statusLine = lines[0]!;
  const firstSpace = statusLine.indexOf(" ");
  if (firstSpace <= 0) throw new HeadError("malformed status line", 502);
  let minor: number;
  try {
    minor = parseVersion(statusLine.slice(0, firstSpace));
  } catch {
    throw new HeadError("malformed status line", 502);
  }
  const status = Number(statusLine.slice(firstSpace + 1, firstSpace + 4));
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new HeadError("malformed status code", 502);
  const reason = statusLine.slice(firstSpace + 5);
  let fields: ParsedFields;
  try {
    fields = parseFields(lines);
  } catch (error) {
    throw new HeadError((error as Error).message, 502);
  }
  if (fields.chunkedCount > 1) throw new HeadError("chunked applied more than once", 502);
  return {
    status,
    reason,
    minor,
    headers: fields.headers,
    names: fields.names,
    contentLength: fields.transferEncoding ? -1 : fields.contentLength,
    chunked: fields.chunked,
    keepAlive: minor === 1 ? !fields.connectionClose : fields.connectionKeepAlive && !fields.connectionClose,
  };
}

/** First value of a header by lower-case name, using the parsed lower-case names. */
export function getHeader(head: { headers: readonly string[]; names: readonly string[] }, lowerName: string): string | undefined {
  const index = head.names.indexOf(lowerName);
  return index === -1 ? undefined : head.headers[index * 2 + 1];
}

/** Appends a header, keeping `names` in step. */
export function addHeader(head: { headers: string[]; names: string[] }, name: string, value: string): void {
  head.headers.push(name, value);
  head.names.push(name.toLowerCase());
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 204: "No Content",
  301: "Moved Permanently", 302: "Found", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  408: "Request Timeout", 413: "Request Entity Too Large", 414: "URI Too Long", 421: "Misdirected Request",
  431: "Request Header Fields Too Large", 499: "Client Closed Request", 500: "Internal Server Error", 501: "Not Implemented",
  502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "Unknown";
}

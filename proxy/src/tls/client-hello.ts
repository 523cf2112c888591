// Minimal TLS ClientHello reader: just the SNI host name and the ALPN list (RFC 8446 §4.1.2, RFC 6066 §3,
// RFC 7301). Used only while a TLS-ALPN-01 validation is pending, to route the validator's connection.

export type ClientHelloPeek =
  | { status: "ok"; servername: string | undefined; alpnProtocols: string[] }
  | { status: "incomplete" }
  | { status: "invalid" };

const RECORD_HEADER = 5;
const CONTENT_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const EXTENSION_ALPN = 0x0010;
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

export function peekClientHello(data: Buffer): ClientHelloPeek {
  const handshake = reassembleHandshake(data);
  if (handshake === "incomplete" || handshake === "invalid") return { status: handshake };
  try {
    return parseClientHelloBody(handshake);
  } catch {
    return { status: "invalid" };
  }
}

/** Joins the payloads of leading handshake records until the first handshake message is whole. */
function reassembleHandshake(data: Buffer): Buffer | "incomplete" | "invalid" {
  const fragments: Buffer[] = [];
  let collected = 0;
  let offset = 0;
  while (true) {
    if (data.length < offset + RECORD_HEADER) return "incomplete";
    if (data[offset] !== CONTENT_HANDSHAKE || data[offset + 1] !== 0x03) return "invalid";
    const length = data.readUInt16BE(offset + 3);
    if (data.length < offset + RECORD_HEADER + length) return "incomplete";
    const fragment = data.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + length);
    fragments.push(fragment);
    collected += fragment.length;
    offset += RECORD_HEADER + length;
    if (collected >= 4) {
      const joined = Buffer.concat(fragments);
      if (joined[0] !== HANDSHAKE_CLIENT_HELLO) return "invalid";
      const messageLength = joined.readUIntBE(1, 3);
      if (joined.length >= 4 + messageLength) return joined.subarray(4, 4 + messageLength);
    }
  }
}

function parseClientHelloBody(body: Buffer): ClientHelloPeek {
  let offset = 2 + 32; // legacy_version, random
  offset += 1 + body.readUInt8(offset); // legacy_session_id
  offset += 2 + body.readUInt16BE(offset); // cipher_suites
  offset += 1 + body.readUInt8(offset); // legacy_compression_methods
  let servername: string | undefined;
  let alpnProtocols: string[] = [];
  if (offset >= body.length) return { status: "ok", servername, alpnProtocols };
  const extensionsEnd = offset + 2 + body.readUInt16BE(offset);
  offset += 2;
  if (extensionsEnd > body.length) return { status: "invalid" };
  while (offset + 4 <= extensionsEnd) {
    const type = body.readUInt16BE(offset);
    const length = body.readUInt16BE(offset + 2);
    const extension = body.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    if (type === EXTENSION_SERVER_NAME) servername = readServerName(extension);
    else if (type === EXTENSION_ALPN) alpnProtocols = readAlpn(extension);
  }
  return { status: "ok", servername, alpnProtocols };
}

function readServerName(extension: Buffer): string | undefined {
  let offset = 2; // server_name_list length
  while (offset + 3 <= extension.length) {
    const nameType = extension.readUInt8(offset);
    const length = extension.readUInt16BE(offset + 1);
    const name = extension.subarray(offset + 3, offset + 3 + length);
    offset += 3 + length;
    if (nameType === 0) return name.toString("ascii");
  }
  return undefined;
}

function readAlpn(extension: Buffer): string[] {
  const protocols: string[] = [];
  let offset = 2; // protocol_name_list length
  while (offset < extension.length) {
    const length = extension.readUInt8(offset);
    protocols.push(extension.subarray(offset + 1, offset + 1 + length).toString("ascii"));
    offset += 1 + length;
  }
  return protocols;
}

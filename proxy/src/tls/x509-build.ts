// CSRs (ACME finalize) and the TLS-ALPN-01 validation certificate (RFC 8737), built with der.ts and signed
// with node:crypto. Keys are ECDSA P-256, like autocert's.

import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import {
  bitString,
  booleanTrue,
  explicit,
  implicitPrimitive,
  integer,
  octetString,
  oid,
  sequence,
  set,
  time,
  utf8String,
} from "./der.js";

const OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const OID_COMMON_NAME = "2.5.4.3";
const OID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_ACME_IDENTIFIER = "1.3.6.1.5.5.7.1.31";
const MAX_COMMON_NAME = 64;

export function generateCertificateKey(): KeyObject {
  return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
}

/** PKCS#10 request for `hosts` (SAN dNSNames; CN = the first host when it fits), DER. */
export function createCsr(key: KeyObject, hosts: string[]): Buffer {
  const info = sequence(
    integer(0),
    subjectName(hosts[0]),
    publicKeyInfo(key),
    explicit(0, sequence(oid(OID_EXTENSION_REQUEST), set(sequence(subjectAltName(hosts))))),
  );
  return signed(info, key);
}

/**
 * Self-signed certificate for host with the critical acmeIdentifier extension holding
 * SHA-256(keyAuthorization); served only to connections negotiating "acme-tls/1".
 */
export function createTlsAlpnCertificate(key: KeyObject, host: string, keyAuthorization: string): Buffer {
  const digest = createHash("sha256").update(keyAuthorization).digest();
  const now = Date.now();
  const name = subjectName(host);
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(randomBytes(16)),
    sequence(oid(OID_ECDSA_WITH_SHA256)),
    name,
    sequence(time(new Date(now - 3600_000)), time(new Date(now + 7 * 24 * 3600_000))),
    name,
    publicKeyInfo(key),
    explicit(3, sequence(subjectAltName([host]), sequence(oid(OID_ACME_IDENTIFIER), booleanTrue(), octetString(octetString(digest))))),
  );
  return signed(tbs, key);
}

export function derToPem(der: Buffer, label: "CERTIFICATE" | "CERTIFICATE REQUEST"): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function signed(toBeSigned: Buffer, key: KeyObject): Buffer {
  const signature = sign("sha256", toBeSigned, key); // DER ECDSA-Sig-Value, as X.509 wants
  return sequence(toBeSigned, sequence(oid(OID_ECDSA_WITH_SHA256)), bitString(signature));
}

function subjectName(commonName: string | undefined): Buffer {
  if (commonName === undefined || commonName.length > MAX_COMMON_NAME) return sequence();
  return sequence(set(sequence(oid(OID_COMMON_NAME), utf8String(commonName))));
}

function publicKeyInfo(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: "spki", format: "der" });
}

function subjectAltName(hosts: string[]): Buffer {
  const names = sequence(...hosts.map((host) => implicitPrimitive(2, Buffer.from(host, "ascii"))));
  return sequence(oid(OID_SUBJECT_ALT_NAME), octetString(names));
}

// ACME request signing (RFC 8555 §6.2, RFC 7515 flattened JSON): ES256 for the EC P-256 keys we create,
// RS256 for RSA account keys found in an existing cache.

import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { TlsError } from "../errors.js";

export interface AccountKey {
  privateKey: KeyObject;
  algorithm: "ES256" | "RS256";
  /** Public JWK with only the required members, in RFC 7638 order (for the thumbprint). */
  jwk: Record<string, string>;
  thumbprint: string;
}

export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

export function generateAccountKey(): AccountKey {
  return accountKeyFrom(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
}

export function accountKeyFromPem(pem: string, where: string): AccountKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new TlsError(`ACME account key ${where} is not a PEM private key: ${error instanceof Error ? error.message : String(error)}`);
  }
  return accountKeyFrom(privateKey, where);
}

export function accountKeyToPem(key: AccountKey): string {
  // SEC1 "EC PRIVATE KEY", what autocert writes, so kamal-proxy can read it back.
  const type = key.algorithm === "ES256" ? "sec1" : "pkcs1";
  return key.privateKey.export({ type, format: "pem" }).toString();
}

function accountKeyFrom(privateKey: KeyObject, where = "generated key"): AccountKey {
  const exported = privateKey.export({ format: "jwk" });
  let jwk: Record<string, string>;
  let algorithm: AccountKey["algorithm"];
  if (privateKey.asymmetricKeyType === "ec" && exported.crv === "P-256") {
    jwk = { crv: "P-256", kty: "EC", x: exported.x!, y: exported.y! };
    algorithm = "ES256";
  } else if (privateKey.asymmetricKeyType === "rsa") {
    jwk = { e: exported.e!, kty: "RSA", n: exported.n! };
    algorithm = "RS256";
  } else {
    throw new TlsError(`ACME account key ${where} must be EC P-256 or RSA (found ${privateKey.asymmetricKeyType ?? "unknown"})`);
  }
  return { privateKey, algorithm, jwk, thumbprint: jwkThumbprint(jwk) };
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. */
export function jwkThumbprint(jwk: Record<string, string>): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.keys(jwk).sort().map((name) => [name, jwk[name]])));
  return base64url(createHash("sha256").update(canonical).digest());
}

/** Signs `payload` (undefined = POST-as-GET, an empty payload) with either the JWK or the account URL (kid). */
export function signJws(
  key: AccountKey,
  header: { url: string; nonce: string; kid?: string },
  payload: unknown,
): FlattenedJws {
  const protectedHeader: Record<string, unknown> = { alg: key.algorithm, nonce: header.nonce, url: header.url };
  if (header.kid) protectedHeader.kid = header.kid;
  else protectedHeader.jwk = key.jwk;
  const encodedProtected = base64url(JSON.stringify(protectedHeader));
  const encodedPayload = payload === undefined ? "" : base64url(JSON.stringify(payload));
  const signingInput = Buffer.from(`${encodedProtected}.${encodedPayload}`, "ascii");
  const signature =
    key.algorithm === "ES256"
      ? sign("sha256", signingInput, { key: key.privateKey, dsaEncoding: "ieee-p1363" })
      : sign("sha256", signingInput, key.privateKey);
  return { protected: encodedProtected, payload: encodedPayload, signature: base64url(signature) };
}

export function keyAuthorization(token: string, key: AccountKey): string {
  return `${token}.${key.thumbprint}`;
}

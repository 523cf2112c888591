import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  accountKeyFromPem,
  accountKeyToPem,
  generateAccountKey,
  jwkThumbprint,
  keyAuthorization,
  signJws,
} from "../../../src/tls/acme/jws.js";

const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

describe("ACME JWS", () => {
  it("computes the RFC 7638 thumbprint of the RFC's example key", () => {
    const jwk = {
      kty: "RSA",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      e: "AQAB",
    };
    expect(jwkThumbprint(jwk)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  });

  it("signs ES256 over protected.payload with a JWK before registration and a kid after", () => {
    const key = generateAccountKey();
    const withJwk = signJws(key, { url: "https://ca/new-acct", nonce: "n1" }, { termsOfServiceAgreed: true });
    expect(decode(withJwk.protected)).toEqual({ alg: "ES256", nonce: "n1", url: "https://ca/new-acct", jwk: key.jwk });
    expect(decode(withJwk.payload)).toEqual({ termsOfServiceAgreed: true });
    const valid = verify(
      "sha256",
      Buffer.from(`${withJwk.protected}.${withJwk.payload}`),
      { key: createPublicKey(key.privateKey), dsaEncoding: "ieee-p1363" },
      Buffer.from(withJwk.signature, "base64url"),
    );
    expect(valid).toBe(true);

    const asGet = signJws(key, { url: "https://ca/order/1", nonce: "n2", kid: "https://ca/acct/7" }, undefined);
    expect(asGet.payload).toBe("");
    expect(decode(asGet.protected)).toEqual({ alg: "ES256", nonce: "n2", url: "https://ca/order/1", kid: "https://ca/acct/7" });
  });

  it("stores the account key as autocert's EC PRIVATE KEY and reads it back to the same account", () => {
    const key = generateAccountKey();
    const pem = accountKeyToPem(key);
    expect(pem.startsWith("-----BEGIN EC PRIVATE KEY-----")).toBe(true);
    expect(accountKeyFromPem(pem, "cache").thumbprint).toBe(key.thumbprint);
    expect(keyAuthorization("tok", key)).toBe(`tok.${key.thumbprint}`);
  });

  it("accepts an RSA account key (RS256) and rejects other key types by name", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(accountKeyFromPem(rsa, "cache").algorithm).toBe("RS256");
    const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(() => accountKeyFromPem(ed, "/certs/x/acme_account+key")).toThrow(
      "ACME account key /certs/x/acme_account+key must be EC P-256 or RSA (found ed25519)",
    );
    expect(() => accountKeyFromPem("junk", "/k")).toThrow(/ACME account key \/k is not a PEM private key/);
  });
});

// PEM helpers on node:crypto: split chains, check a key against a leaf, build a SecureContext.

import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import { TlsError, errorMessage } from "./errors.js";

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PRIVATE_KEY_BLOCK = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/;

export interface CertificatePair {
  /** Leaf first, then intermediates, PEM. */
  chainPem: string;
  keyPem: string;
  leaf: X509Certificate;
  context: SecureContext;
}

export function splitCertificates(pem: string): string[] {
  return pem.match(CERTIFICATE_BLOCK) ?? [];
}

export function extractPrivateKeyPem(pem: string): string | undefined {
  return pem.match(PRIVATE_KEY_BLOCK)?.[0];
}

/**
 * Validates and builds a servable pair. `where` names the source in errors (file paths or cache entry);
 * key bytes never appear in messages.
 */
export function buildCertificatePair(chainPem: string, keyPem: string, where: { certificate: string; key: string }): CertificatePair {
  const certificates = splitCertificates(chainPem);
  const first = certificates[0];
  if (first === undefined) {
    throw new TlsError(`TLS certificate ${where.certificate} contains no PEM "CERTIFICATE" block`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(first);
  } catch (error) {
    throw new TlsError(`TLS certificate ${where.certificate} is not a valid X.509 certificate: ${errorMessage(error)}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new TlsError(`TLS private key ${where.key} is not a usable PEM private key: ${errorMessage(error)}`);
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new TlsError(
      `TLS private key ${where.key} does not match certificate ${where.certificate} (subject ${leaf.subject.replace(/\n/g, ", ")})`,
    );
  }
  const normalizedChain = `${certificates.join("\n")}\n`;
  let context: SecureContext;
  try {
    context = createSecureContext({ cert: normalizedChain, key: keyPem });
  } catch (error) {
    throw new TlsError(`TLS certificate ${where.certificate} cannot be used with key ${where.key}: ${errorMessage(error)}`);
  }
  return { chainPem: normalizedChain, keyPem, leaf, context };
}

/** Hex serial without leading zeros, upper-case (what X509Certificate reports, normalised). */
export function serialOf(leaf: X509Certificate): string {
  return leaf.serialNumber.replace(/^0+(?=.)/, "").toUpperCase();
}

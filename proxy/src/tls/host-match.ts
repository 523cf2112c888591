// Host lookup shared by SNI selection and the ACME host policy: exact host first, then the single-level
// wildcard `*.<parent>` (kamal-proxy's service map rule).

import { domainToASCII } from "node:url";

// Hosts compare lower-case, without a trailing dot, in ASCII (IDNs as punycode A-labels, like SNI sends).
export function normalizeHost(host: string): string {
  let normalized = host.trim().toLowerCase();
  if (normalized.endsWith(".")) normalized = normalized.slice(0, -1);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(normalized)) {
    const wildcard = normalized.startsWith("*.");
    const ascii = domainToASCII(wildcard ? normalized.slice(2) : normalized);
    if (ascii) normalized = wildcard ? `*.${ascii}` : ascii;
  }
  return normalized;
}

const DNS_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);

export function isDnsName(host: string): boolean {
  return host.length <= 253 && DNS_NAME.test(host);
}

export function isWildcardHost(host: string): boolean {
  return host.startsWith("*.");
}

/** Candidate keys for a served name, most specific first. */
export function hostLookupKeys(servername: string): string[] {
  const host = normalizeHost(servername);
  const dot = host.indexOf(".");
  if (dot <= 0 || dot === host.length - 1) return [host];
  return [host, `*${host.slice(dot)}`];
}

export function findByHost<T>(table: ReadonlyMap<string, T>, servername: string): T | undefined {
  for (const key of hostLookupKeys(servername)) {
    const found = table.get(key);
    if (found !== undefined) return found;
  }
  return undefined;
}

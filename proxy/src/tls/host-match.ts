// Host lookup shared by SNI selection and the ACME host policy: exact host first, then the single-level
// wildcard `*.<parent>` (kamal-proxy's service map rule). Hosts compare lower-case, without a trailing dot.

export function normalizeHost(host: string): string {
  let normalized = host.trim().toLowerCase();
  if (normalized.endsWith(".")) normalized = normalized.slice(0, -1);
  return normalized;
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

// Target names (container names on Docker's network) resolved without libuv's thread pool.
// dns.lookup (getaddrinfo) runs on that pool's 4 threads, shared with file work; a removed
// container's name can take ~10 s to fail in Docker's DNS, so a few such lookups in flight
// stall every live one queued behind them. Here queries go through c-ares (asynchronous, no
// threads) with a timeout, /etc/hosts is read once, concurrent lookups of a name share one
// query, and answers are reused for a second (forgotten at once when a connection fails).
import dns from "node:dns";
import fs from "node:fs";
import net from "node:net";

export type LookupCallback = (error: NodeJS.ErrnoException | null, address: string) => void;

export interface NameResolverOptions {
  /** How long an answer is reused (ms). */
  ttlMs?: number;
  /** c-ares timeout of a first try (ms); later tries wait longer. */
  timeoutMs?: number;
  tries?: number;
  hostsFile?: string;
  /** Name servers ("ip" or "ip:port"); default: those of /etc/resolv.conf. */
  servers?: string[];
}

const DEFAULTS = { ttlMs: 1_000, timeoutMs: 1_000, tries: 2, hostsFile: "/etc/hosts" };
const MAX_CACHED = 1_000;

export class NameResolver {
  private readonly resolver: dns.Resolver;
  private readonly ttlMs: number;
  private readonly hostsFile: string;
  private hosts: ReadonlyMap<string, string> | null = null;
  private readonly cache = new Map<string, { address: string; expires: number }>();
  private readonly pending = new Map<string, LookupCallback[]>();

  constructor(options: NameResolverOptions = {}) {
    const settings = { ...DEFAULTS, ...options };
    this.resolver = new dns.Resolver({ timeout: settings.timeoutMs, tries: settings.tries });
    if (options.servers !== undefined) this.resolver.setServers(options.servers);
    this.ttlMs = settings.ttlMs;
    this.hostsFile = settings.hostsFile;
  }

  /** Calls back with an address for `name`: at once for IP literals, /etc/hosts entries and fresh answers. */
  lookup(name: string, callback: LookupCallback): void {
    if (net.isIP(name) !== 0) {
      callback(null, name);
      return;
    }
    const key = name.toLowerCase();
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.expires > Date.now()) {
      callback(null, cached.address);
      return;
    }
    const listed = this.hostsTable().get(key);
    if (listed !== undefined) {
      callback(null, listed);
      return;
    }
    const waiting = this.pending.get(key);
    if (waiting !== undefined) {
      waiting.push(callback);
      return;
    }
    this.pending.set(key, [callback]);
    this.query(key, (error, address) => {
      const callbacks = this.pending.get(key) ?? [];
      this.pending.delete(key);
      if (error === null) this.remember(key, address);
      else this.cache.delete(key);
      for (const waiter of callbacks) waiter(error, address);
    });
  }

  /** Drops a cached answer (a connection to it failed: the container may have moved). */
  forget(name: string): void {
    this.cache.delete(name.toLowerCase());
  }

  /** Stops queries in flight (their callbacks get ECANCELLED). */
  cancel(): void {
    this.resolver.cancel();
  }

  private remember(key: string, address: string): void {
    const now = Date.now();
    if (this.cache.size >= MAX_CACHED) {
      for (const [name, entry] of this.cache) if (entry.expires <= now) this.cache.delete(name);
    }
    this.cache.set(key, { address, expires: now + this.ttlMs });
  }

  /** IPv4 first; IPv6 when the name has no A record (as getaddrinfo would find). */
  private query(name: string, done: LookupCallback): void {
    this.resolver.resolve4(name, (error, addresses) => {
      if (error === null && addresses.length > 0) {
        done(null, addresses[0]!);
        return;
      }
      if (error !== null && error.code !== "ENODATA") {
        done(lookupError(name, error), "");
        return;
      }
      this.resolver.resolve6(name, (error6, addresses6) => {
        if (error6 === null && addresses6.length > 0) done(null, addresses6[0]!);
        else done(lookupError(name, error6 ?? error), "");
      });
    });
  }

  private hostsTable(): ReadonlyMap<string, string> {
    this.hosts ??= readHostsFile(this.hostsFile);
    return this.hosts;
  }
}

/** Errors whose code and message say what failed (describeError in health-check.ts reads them). */
function lookupError(name: string, error: NodeJS.ErrnoException | null): NodeJS.ErrnoException {
  const code = error?.code === "ENODATA" || error === null ? "ENOTFOUND" : (error.code ?? "EAI_FAIL");
  return Object.assign(new Error(`lookup ${code} ${name}`), { code, hostname: name });
}

/** name → first address (IPv4 preferred); a missing or unreadable file is an empty table. */
export function readHostsFile(path: string): ReadonlyMap<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch {
    return new Map();
  }
  return parseHosts(text);
}

export function parseHosts(text: string): ReadonlyMap<string, string> {
  const table = new Map<string, string>();
  for (const line of text.split("\n")) {
    const fields = line.replace(/#.*/, "").trim().split(/\s+/);
    const address = fields[0] ?? "";
    const family = net.isIP(address);
    if (family === 0) continue;
    for (const name of fields.slice(1)) {
      const key = name.toLowerCase();
      const known = table.get(key);
      if (known === undefined || (family === 4 && net.isIP(known) === 6)) table.set(key, address);
    }
  }
  return table;
}

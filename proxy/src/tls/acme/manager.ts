// ACME state for one cache scope (one directory URL + cache dir): account, certificates per host,
// issuance deduplicated per host, failure back-off, background renewal. Handshakes for other hosts never
// wait on an issuance: each host has its own promise.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SecureContext } from "node:tls";
import type { AcmeChallengeType, RenewalPolicy, TlsLogger } from "../index.js";
import type { ChallengeRegistry } from "../challenges.js";
import { TlsError, errorMessage } from "../errors.js";
import { buildCertificatePair, serialOf, type CertificatePair } from "../pem.js";
import { AcmeClient, AcmeProblemError } from "./client.js";
import { ACCOUNT_KEY_FILE, formatCertificateEntry, parseCertificateEntry, readCacheFile, writeCacheFile } from "./cache.js";
import { createHttpClient, type HttpClient } from "./http.js";
import { issueCertificate } from "./issue.js";
import { accountKeyFromPem, accountKeyToPem, generateAccountKey, type AccountKey } from "./jws.js";

export interface ManagedCertificate {
  pair: CertificatePair;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  renewAt: Date;
}

export interface AcmeManagerOptions {
  scopeDir: string;
  directoryUrl: string;
  email: string | undefined;
  caBundlePath: string | undefined;
  challenges: ChallengeRegistry;
  logger: TlsLogger;
  renewal: RenewalPolicy;
  challengeOrder: AcmeChallengeType[];
  requestTimeoutMs: number;
  /** The store's host policy: only exact hosts of services using this manager. */
  isHostAllowed: (host: string) => boolean;
  onCertificateChange: (host: string) => void;
}

type ObtainReason = "handshake" | "renewal";

/** kamal-proxy's cache scoping: `<cacheDir>/<hex sha256(directoryUrl)>`. */
export function acmeScopeDir(cacheDir: string, directoryUrl: string): string {
  return join(cacheDir, createHash("sha256").update(directoryUrl).digest("hex"));
}

export function renewalTime(notBefore: Date, notAfter: Date, policy: RenewalPolicy): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const window = Math.min(lifetime * policy.remainingFraction, policy.maxRemainingMs);
  return new Date(notAfter.getTime() - window);
}

export class AcmeManager {
  readonly scopeDir: string;
  private readonly certificates = new Map<string, ManagedCertificate>();
  private readonly inflight = new Map<string, Promise<ManagedCertificate>>();
  private readonly failures = new Map<string, { error: Error; retryAt: number }>();
  private account: Promise<{ client: AcmeClient; key: AccountKey }> | undefined;
  private http: HttpClient | undefined;
  private readonly renewalTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: AcmeManagerOptions) {
    this.scopeDir = options.scopeDir;
    this.renewalTimer = setInterval(() => this.renewDue(), options.renewal.checkIntervalMs);
    this.renewalTimer.unref();
  }

  /** Loads cached certificates for hosts (at deploy/start); a bad cache entry is logged and re-issued later. */
  async loadCached(hosts: string[]): Promise<void> {
    await Promise.all(hosts.filter((host) => !this.certificates.has(host)).map((host) => this.loadFromCache(host)));
  }

  forgetFailures(hosts: string[]): void {
    for (const host of hosts) this.failures.delete(host);
  }

  certificate(host: string): ManagedCertificate | undefined {
    return this.certificates.get(host);
  }

  /** The context to serve right now without waiting, if there is an unexpired certificate. */
  readyContext(host: string): SecureContext | undefined {
    const current = this.certificates.get(host);
    return current && current.notAfter.getTime() > Date.now() ? current.pair.context : undefined;
  }

  /** Serves the current certificate, or issues one (deduplicated) and serves it. */
  async context(host: string): Promise<SecureContext> {
    const ready = this.readyContext(host);
    if (ready) return ready;
    return (await this.obtain(host, "handshake")).pair.context;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.renewalTimer);
    this.http?.close();
  }

  private renewDue(): void {
    const now = Date.now();
    for (const [host, current] of this.certificates) {
      if (now < current.renewAt.getTime() || this.inflight.has(host)) continue;
      if (!this.options.isHostAllowed(host)) continue;
      const failure = this.failures.get(host);
      if (failure && failure.retryAt > now) continue;
      this.obtain(host, "renewal").catch(() => undefined); // logged in obtain; the old certificate stays served
    }
  }

  private obtain(host: string, reason: ObtainReason): Promise<ManagedCertificate> {
    if (this.closed) return Promise.reject(new TlsError(`certificate store is closed (host ${host})`));
    const inflight = this.inflight.get(host);
    if (inflight) return inflight;
    if (!this.options.isHostAllowed(host)) {
      this.options.logger({ event: "tls.acme_host_rejected", host, directory: this.options.directoryUrl });
      return Promise.reject(new TlsError(`host ${host} is not allowed by the ACME host policy (not a host of a TLS service)`));
    }
    const failure = this.failures.get(host);
    if (failure && failure.retryAt > Date.now()) return Promise.reject(failure.error);
    const started = Date.now();
    const promise = this.issue(host, reason).then(
      (managed) => {
        this.failures.delete(host);
        return managed;
      },
      (error: unknown) => {
        const failed = error instanceof Error ? error : new Error(String(error));
        // Honour a CA's Retry-After (rate limits) when it asks for longer than our own back-off.
        const delay = Math.max(this.options.renewal.retryDelayMs, failed instanceof AcmeProblemError ? (failed.retryAfterMs ?? 0) : 0);
        this.failures.set(host, { error: failed, retryAt: Date.now() + delay });
        this.options.logger({
          event: reason === "renewal" ? "tls.acme_renewal_failed" : "tls.acme_issue_failed",
          host,
          directory: this.options.directoryUrl,
          error: failed.message,
          duration_ms: Date.now() - started,
        });
        throw failed;
      },
    );
    const tracked = promise.finally(() => this.inflight.delete(host));
    this.inflight.set(host, tracked);
    return tracked;
  }

  private async issue(host: string, reason: ObtainReason): Promise<ManagedCertificate> {
    if (reason === "handshake") {
      // Another process (or kamal-proxy before a switch) may have left a valid certificate.
      const cached = await this.loadFromCache(host);
      if (cached && cached.notAfter.getTime() > Date.now()) return cached;
    }
    const started = Date.now();
    this.options.logger({ event: "tls.acme_issuing", host, reason, directory: this.options.directoryUrl });
    const { client, key } = await this.accountClient();
    const issued = await issueCertificate(host, {
      client,
      accountKey: key,
      challenges: this.options.challenges,
      challengeOrder: this.options.challengeOrder,
      logger: this.options.logger,
    });
    const keyPem = issued.key.export({ type: "sec1", format: "pem" }).toString();
    const pair = buildCertificatePair(issued.chainPem, keyPem, {
      certificate: `ACME certificate for ${host}`,
      key: `ACME key for ${host}`,
    });
    if (!pair.leaf.checkHost(host)) throw new TlsError(`ACME certificate issued for ${host} does not cover ${host}`);
    if (this.closed) throw new TlsError(`certificate store closed while issuing for ${host}`);
    await writeCacheFile(this.scopeDir, host, formatCertificateEntry(keyPem, pair.chainPem));
    const managed = this.install(host, pair);
    this.options.logger({
      event: "tls.acme_certificate_issued",
      host,
      reason,
      serial: managed.serialNumber,
      not_after: managed.notAfter.toISOString(),
      renew_at: managed.renewAt.toISOString(),
      duration_ms: Date.now() - started,
    });
    return managed;
  }

  private async loadFromCache(host: string): Promise<ManagedCertificate | undefined> {
    try {
      const contents = await readCacheFile(this.scopeDir, host);
      if (contents === undefined) return undefined;
      const entry = parseCertificateEntry(contents);
      const where = join(this.scopeDir, host);
      if (!entry) throw new TlsError(`ACME cache entry ${where} lacks a private key or certificate`);
      const pair = buildCertificatePair(entry.chainPem, entry.keyPem, { certificate: where, key: where });
      if (!pair.leaf.checkHost(host)) throw new TlsError(`ACME cache entry ${where} is not valid for ${host}`);
      if (new Date(pair.leaf.validTo).getTime() <= Date.now()) return undefined;
      const current = this.certificates.get(host);
      if (current && current.serialNumber === serialOf(pair.leaf)) return current;
      const managed = this.install(host, pair);
      this.options.logger({
        event: "tls.acme_certificate_loaded",
        host,
        serial: managed.serialNumber,
        not_after: managed.notAfter.toISOString(),
        renew_at: managed.renewAt.toISOString(),
      });
      return managed;
    } catch (error) {
      this.options.logger({ event: "tls.acme_cache_invalid", host, error: errorMessage(error) });
      return undefined;
    }
  }

  private install(host: string, pair: CertificatePair): ManagedCertificate {
    const notBefore = new Date(pair.leaf.validFrom);
    const notAfter = new Date(pair.leaf.validTo);
    const managed: ManagedCertificate = {
      pair,
      serialNumber: serialOf(pair.leaf),
      notBefore,
      notAfter,
      renewAt: renewalTime(notBefore, notAfter, this.options.renewal),
    };
    this.certificates.set(host, managed);
    this.options.onCertificateChange(host);
    return managed;
  }

  private accountClient(): Promise<{ client: AcmeClient; key: AccountKey }> {
    this.account ??= this.openAccount().catch((error: unknown) => {
      this.account = undefined;
      throw error;
    });
    return this.account;
  }

  private async openAccount(): Promise<{ client: AcmeClient; key: AccountKey }> {
    const { directoryUrl, caBundlePath, email } = this.options;
    let extraCaPem: string | undefined;
    if (caBundlePath) {
      try {
        extraCaPem = await readFile(caBundlePath, "utf8");
      } catch (error) {
        throw new TlsError(`ACME CA bundle ${caBundlePath} cannot be read: ${errorMessage(error)}`);
      }
    }
    this.http ??= createHttpClient({ extraCaPem, timeoutMs: this.options.requestTimeoutMs, userAgent: "berth-proxy" });
    const stored = await readCacheFile(this.scopeDir, ACCOUNT_KEY_FILE);
    const key = stored ? accountKeyFromPem(stored, join(this.scopeDir, ACCOUNT_KEY_FILE)) : generateAccountKey();
    if (!stored) await writeCacheFile(this.scopeDir, ACCOUNT_KEY_FILE, accountKeyToPem(key));
    const client = new AcmeClient(directoryUrl, key, this.http);
    const accountUrl = await client.register(email);
    this.options.logger({ event: "tls.acme_account_ready", directory: directoryUrl, account: accountUrl, created_key: !stored });
    return { client, key };
  }
}

// Certificates for the proxy's HTTPS listener: ACME (HTTP-01 and TLS-ALPN-01, any RFC 8555 directory)
// and custom PEM pairs, selected by SNI with the router's host rules.
//
// Wiring for the server (the whole contract the core needs; proxy/src/server/server.ts does this):
//
//   const store = createCertificateStore({ stateDir, logger });
//   const server = tls.createServer({ SNICallback: store.sniCallback, ALPNProtocols: ["h2", ...store.alpnProtocols] });
//   store.attach(server);                  // recommended: exact TLS-ALPN-01 routing + certificate for clients without SNI
//   await store.setService("app-web", { hosts: ["example.com"], acme: { directoryUrl, cacheDir } });
//   // GET /.well-known/acme-challenge/<token>: const body = store.httpChallenge(host, token);
//   //   body !== undefined → 200 text/plain body, before any redirect. Answer it on port 80 and also on 443:
//   //   a CDN that upgrades to HTTPS (Cloudflare "Always Use HTTPS") makes the CA follow the redirect there.
//   store.removeService("app-web");
//   store.close();                          // on shutdown: stops renewal timers, file polling and ACME sockets
//
// Connections the store answers itself (TLS-ALPN-01 validations, via attach) never reach the server's
// 'secureConnection' listeners. Certificates are issued lazily on the first handshake for a host (or with
// ensureCertificate), cached on disk in kamal-proxy's layout, reloaded at setService, renewed in the background.

import type { SecureContext, SecureContextOptions, Server as TlsServer } from "node:tls";
import { createCertificateStoreImpl } from "./store.js";

export interface AcmeSettings {
  /** RFC 8555 directory URL, e.g. LETS_ENCRYPT_PRODUCTION_DIRECTORY or a pebble/other CA URL. */
  directoryUrl: string;
  /**
   * kamal-proxy's `--tls-acme-cache-path`. Files live in `<cacheDir>/<sha256(directoryUrl)>/` in autocert's
   * layout (`acme_account+key`, one `<host>` file of key + chain), so kamal-proxy and Berth read each
   * other's certificates. Empty string = `<stateDir>/certs`.
   */
  cacheDir: string;
  /** Contact for the ACME account (optional, like autocert). */
  email?: string;
  /** Extra PEM CA bundle trusted when talking to the directory (pebble, private CAs). */
  caBundlePath?: string;
}

export interface TlsServiceSettings {
  /** The service's hosts. ACME issues for exactly these (no wildcards); custom certs serve all of them. */
  hosts: string[];
  acme?: AcmeSettings;
  /** Custom PEM certificate chain; must come with privateKeyPath and excludes acme. */
  certificatePath?: string;
  privateKeyPath?: string;
}

export type TlsLogger = (event: Record<string, unknown>) => void;

export type AcmeChallengeType = "http-01" | "tls-alpn-01";

/** When a certificate counts as due: less than min(lifetime * remainingFraction, maxRemainingMs) left. */
export interface RenewalPolicy {
  remainingFraction: number;
  maxRemainingMs: number;
  /** How often the background check runs. */
  checkIntervalMs: number;
  /** After a failed issuance or renewal for a host, wait this long before trying it again. */
  retryDelayMs: number;
}

export const DEFAULT_RENEWAL_POLICY: RenewalPolicy = {
  remainingFraction: 1 / 3,
  maxRemainingMs: 30 * 24 * 3600_000,
  checkIntervalMs: 3600_000,
  retryDelayMs: 60_000,
};

export interface CertificateStoreOptions {
  /** The proxy's state directory (kamal-proxy: ~/.config/kamal-proxy); `<stateDir>/certs` is the default ACME cache. */
  stateDir: string;
  /** Structured events: { event: "tls.…", host?, service?, error?, … }. Never receives key material. */
  logger: TlsLogger;
  renewal?: Partial<RenewalPolicy>;
  /**
   * Challenge types tried in order; a failed type falls through to the next with a fresh order.
   * Default ["http-01", "tls-alpn-01"]: HTTP-01 first since it also works behind CDNs and load balancers.
   */
  challengeOrder?: AcmeChallengeType[];
  /** Poll interval for custom certificate files (hot reload); 0 disables watching. Default 2000 ms. */
  customCertificatePollMs?: number;
  /** Per-request timeout talking to the ACME directory. Default 30 s. */
  acmeRequestTimeoutMs?: number;
}

export interface CertificateInfo {
  host: string;
  service: string;
  source: "acme" | "custom";
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** ACME only: when the background renewal will start. */
  renewAt?: Date;
}

export interface CertificateStore {
  /** Configure (or replace) the certificate source for one service; resolves once a custom cert is loaded (ACME issuance is lazy, on first handshake, like autocert). Throws on a bad cert. */
  setService(service: string, settings: TlsServiceSettings): Promise<void>;
  removeService(service: string): void;
  /** For the https server's SNICallback. */
  sniCallback(servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void;
  /** Answer for GET /.well-known/acme-challenge/<token> on port 80, or undefined. */
  httpChallenge(host: string, token: string): string | undefined;
  /** ALPN list to advertise; includes "acme-tls/1" (TLS-ALPN-01) handled inside sniCallback/ALPNCallback. */
  readonly alpnProtocols: string[];
  close(): void;

  // ---- Extensions (optional for the core) ----

  /**
   * Hooks a TLS/HTTPS/HTTP2 server:
   * - TLS-ALPN-01: while a validation is pending, peeks at each ClientHello and answers connections that
   *   offer only "acme-tls/1" with the challenge certificate itself, so they never reach the app server
   *   (works for any TLS version and for http2, whose ALPN list cannot carry acme-tls/1).
   * - Clients without SNI: keeps `server.setSecureContext` on the default host's certificate (the first
   *   host of the first TLS service, like kamal-proxy). `baseContext` is merged in (ciphers, minVersion…).
   * Without `attach`, sniCallback still serves a pending TLS-ALPN-01 challenge to hosts that have no
   * certificate yet, which covers first issuance.
   */
  attach(server: TlsServer, baseContext?: SecureContextOptions): void;
  /** Issue now (or load from cache) instead of waiting for the first handshake; rejects with the ACME error. */
  ensureCertificate(host: string): Promise<CertificateInfo>;
  /** What is loaded, per host (for `list`, diagnostics and tests). */
  certificates(): CertificateInfo[];
}

export const LETS_ENCRYPT_PRODUCTION_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING_DIRECTORY = "https://acme-staging-v02.api.letsencrypt.org/directory";

/** Environment overrides for the ACME directory and its CA bundle (flags for `run`, read by the core). */
export const ACME_DIRECTORY_ENV = "KAMAL_PROXY_ACME_DIRECTORY";
export const ACME_CA_ENV = "KAMAL_PROXY_ACME_CA";

/**
 * The directory a `deploy --tls [--tls-staging]` uses: an explicit override (env KAMAL_PROXY_ACME_DIRECTORY)
 * wins, then staging, then Let's Encrypt production. KAMAL_PROXY_ACME_CA names an extra PEM bundle.
 */
export function resolveAcmeDirectory(options: {
  staging: boolean;
  env?: NodeJS.ProcessEnv;
}): { directoryUrl: string; caBundlePath?: string } {
  const env = options.env ?? process.env;
  const override = env[ACME_DIRECTORY_ENV]?.trim();
  const directoryUrl = override
    ? override
    : options.staging
      ? LETS_ENCRYPT_STAGING_DIRECTORY
      : LETS_ENCRYPT_PRODUCTION_DIRECTORY;
  const caBundlePath = env[ACME_CA_ENV]?.trim();
  return caBundlePath ? { directoryUrl, caBundlePath } : { directoryUrl };
}

export function createCertificateStore(options: CertificateStoreOptions): CertificateStore {
  return createCertificateStoreImpl(options);
}

export { TlsError } from "./errors.js";

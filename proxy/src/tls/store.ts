// The certificate store behind index.ts: services → certificate sources, SNI selection, ACME challenges.

import type { SecureContext, SecureContextOptions, Server as TlsServer } from "node:tls";
import { join } from "node:path";
import type {
  CertificateInfo,
  CertificateStore,
  CertificateStoreOptions,
  RenewalPolicy,
  TlsServiceSettings,
} from "./index.js";
import { DEFAULT_RENEWAL_POLICY } from "./index.js";
import { TlsError } from "./errors.js";
import { findByHost, normalizeHost } from "./host-match.js";
import { ChallengeRegistry } from "./challenges.js";
import { AcmeManager, acmeScopeDir } from "./acme/manager.js";
import { attachToServer, type AttachedServer } from "./attach.js";
import {
  certificateInfo,
  defaultPair,
  loadCustomSource,
  type AcmeSource,
  type CustomSource,
  type ServiceEntry,
} from "./certificate-sources.js";
import { validateServiceSettings } from "./service-settings.js";

const ALPN_PROTOCOLS = ["http/1.1", "acme-tls/1"];

export function createCertificateStoreImpl(options: CertificateStoreOptions): CertificateStore {
  return new Store(options);
}

class Store implements CertificateStore {
  readonly alpnProtocols: string[] = [...ALPN_PROTOCOLS];
  private readonly services = new Map<string, ServiceEntry>();
  private hostIndex = new Map<string, ServiceEntry>();
  private readonly managers = new Map<string, AcmeManager>();
  private readonly reserved = new Map<AcmeManager, number>();
  private readonly challenges = new ChallengeRegistry();
  private readonly attached: AttachedServer[] = [];
  private readonly renewal: RenewalPolicy;
  private closed = false;

  constructor(private readonly options: CertificateStoreOptions) {
    this.renewal = { ...DEFAULT_RENEWAL_POLICY, ...options.renewal };
  }

  async setService(service: string, settings: TlsServiceSettings): Promise<void> {
    if (this.closed) throw new TlsError("certificate store is closed");
    const hosts = validateServiceSettings(service, settings);
    const source = settings.acme ? this.acmeSource(settings) : undefined;
    if (source) this.reserve(source.manager, +1); // a concurrent removeService must not close it meanwhile
    try {
      const ready = source ? await this.prepareAcme(source, hosts) : await this.customSource(service, settings);
      if (this.closed) throw new TlsError("certificate store is closed");
      const previous = this.services.get(service);
      this.services.set(service, { name: service, hosts, source: ready });
      if (previous) this.releaseSource(previous);
    } finally {
      if (source) this.reserve(source.manager, -1);
      this.rebuildIndex();
    }
    this.options.logger({ event: "tls.service_configured", service, hosts, source: source ? "acme" : "custom" });
  }

  removeService(service: string): void {
    const entry = this.services.get(service);
    if (!entry) return;
    this.services.delete(service);
    this.releaseSource(entry);
    this.rebuildIndex();
  }

  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    const host = normalizeHost(servername);
    const entry = findByHost(this.hostIndex, host);
    if (!entry) {
      cb(new Error(`no TLS service for host ${host}`));
      return;
    }
    if (entry.source.kind === "custom") {
      cb(null, entry.source.pair.context);
      return;
    }
    const manager = entry.source.manager;
    const ready = manager.readyContext(host);
    if (ready) {
      cb(null, ready);
      return;
    }
    const pending = this.attached.length === 0 ? this.challenges.alpnContext(host) : undefined;
    if (pending) {
      // Without `attach` we cannot see the client's ALPN list before choosing a certificate; a host with no
      // certificate yet has nothing better to serve, so the validator gets its challenge certificate.
      cb(null, pending);
      return;
    }
    manager.context(host).then(
      (context) => cb(null, context),
      (error: unknown) => cb(error instanceof Error ? error : new Error(String(error))),
    );
  };

  httpChallenge(host: string, token: string): string | undefined {
    return this.challenges.httpResponse(normalizeHost(host.replace(/:\d+$/, "")), token);
  }

  attach(server: TlsServer, baseContext: SecureContextOptions = {}): void {
    this.attached.push(attachToServer(server, baseContext, this.challenges, this.options.logger));
    this.refreshDefaultContext();
  }

  async ensureCertificate(host: string): Promise<CertificateInfo> {
    const normalized = normalizeHost(host);
    const entry = findByHost(this.hostIndex, normalized);
    if (!entry) throw new TlsError(`no TLS service for host ${normalized}`);
    if (entry.source.kind === "acme") await entry.source.manager.context(normalized);
    const info = certificateInfo(entry, normalized);
    if (!info) throw new TlsError(`no certificate for host ${normalized}`);
    return info;
  }

  certificates(): CertificateInfo[] {
    const infos: CertificateInfo[] = [];
    for (const entry of this.services.values()) {
      for (const host of entry.hosts) {
        const info = certificateInfo(entry, host);
        if (info) infos.push(info);
      }
    }
    return infos;
  }

  close(): void {
    this.closed = true;
    for (const entry of this.services.values()) this.releaseSource(entry);
    this.services.clear();
    this.hostIndex.clear();
    for (const manager of this.managers.values()) manager.close();
    this.managers.clear();
    for (const server of this.attached) server.detach();
    this.attached.length = 0;
    this.challenges.clear();
  }

  private customSource(service: string, settings: TlsServiceSettings): Promise<CustomSource> {
    return loadCustomSource(service, settings, {
      pollMs: this.options.customCertificatePollMs ?? 2000,
      logger: this.options.logger,
      onReload: () => this.refreshDefaultContext(),
    });
  }

  private acmeSource(settings: TlsServiceSettings): AcmeSource {
    const acme = settings.acme!;
    const cacheDir = acme.cacheDir || join(this.options.stateDir, "certs");
    const scopeDir = acmeScopeDir(cacheDir, acme.directoryUrl);
    let manager = this.managers.get(scopeDir);
    if (!manager) {
      manager = new AcmeManager({
        scopeDir,
        directoryUrl: acme.directoryUrl,
        email: acme.email,
        caBundlePath: acme.caBundlePath,
        challenges: this.challenges,
        logger: this.options.logger,
        renewal: this.renewal,
        challengeOrder: this.options.challengeOrder ?? ["http-01", "tls-alpn-01"],
        requestTimeoutMs: this.options.acmeRequestTimeoutMs ?? 30_000,
        isHostAllowed: (host) => this.acmeHostAllowed(scopeDir, host),
        onCertificateChange: () => this.refreshDefaultContext(),
      });
      this.managers.set(scopeDir, manager);
    }
    return { kind: "acme", manager };
  }

  private async prepareAcme(source: AcmeSource, hosts: string[]): Promise<AcmeSource> {
    // A redeploy is the operator's "try again": forget earlier failures for these hosts.
    source.manager.forgetFailures(hosts);
    await source.manager.loadCached(hosts);
    return source;
  }

  /** Host policy: ACME only for exact hosts of a service that uses this manager. */
  private acmeHostAllowed(scopeDir: string, host: string): boolean {
    const entry = this.hostIndex.get(host);
    return entry !== undefined && entry.source.kind === "acme" && entry.source.manager.scopeDir === scopeDir;
  }

  private reserve(manager: AcmeManager, delta: number): void {
    const count = (this.reserved.get(manager) ?? 0) + delta;
    if (count > 0) this.reserved.set(manager, count);
    else this.reserved.delete(manager);
  }

  private releaseSource(entry: ServiceEntry): void {
    if (entry.source.kind === "custom") entry.source.stopWatching();
  }

  private rebuildIndex(): void {
    const index = new Map<string, ServiceEntry>();
    for (const entry of this.services.values()) {
      for (const host of entry.hosts) if (!index.has(host)) index.set(host, entry);
    }
    this.hostIndex = index;
    // Managers no service uses any more stop renewing.
    const used = new Set<AcmeManager>();
    for (const entry of this.services.values()) if (entry.source.kind === "acme") used.add(entry.source.manager);
    for (const [scopeDir, manager] of this.managers) {
      if (!used.has(manager) && !this.reserved.has(manager)) {
        manager.close();
        this.managers.delete(scopeDir);
      }
    }
    this.refreshDefaultContext();
  }

  /** kamal-proxy's "default TLS hostname": clients without SNI get the first host of the first TLS service. */
  private refreshDefaultContext(): void {
    if (this.attached.length === 0) return;
    const pair = defaultPair(this.services.values());
    for (const server of this.attached) server.setDefault(pair);
  }
}

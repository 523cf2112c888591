// Per-cache-scope ACME state (stub: issuance lands in the next commit; the interface is final).

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { SecureContext } from "node:tls";
import type { AcmeChallengeType, RenewalPolicy, TlsLogger } from "../index.js";
import type { ChallengeRegistry } from "../challenges.js";
import { TlsError } from "../errors.js";
import type { CertificatePair } from "../pem.js";

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
  isHostAllowed: (host: string) => boolean;
  onCertificateChange: (host: string) => void;
}

/** kamal-proxy's cache scoping: `<cacheDir>/<hex sha256(directoryUrl)>`. */
export function acmeScopeDir(cacheDir: string, directoryUrl: string): string {
  return join(cacheDir, createHash("sha256").update(directoryUrl).digest("hex"));
}

export class AcmeManager {
  readonly scopeDir: string;
  private readonly certificates = new Map<string, ManagedCertificate>();

  constructor(private readonly options: AcmeManagerOptions) {
    this.scopeDir = options.scopeDir;
  }

  async loadCached(_hosts: string[]): Promise<void> {}

  hasCertificate(host: string): boolean {
    return this.certificates.has(host);
  }

  certificate(host: string): ManagedCertificate | undefined {
    return this.certificates.get(host);
  }

  async context(host: string): Promise<SecureContext> {
    throw new TlsError(`ACME issuance for ${host} against ${this.options.directoryUrl} is not implemented yet`);
  }

  close(): void {}
}

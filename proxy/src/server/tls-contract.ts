// The part of the TLS module's CertificateStore (proxy/src/tls/index.ts, owned by the TLS
// module) that the router and listeners use; structural, so either implementation fits.
import type { SecureContext } from "node:tls";

export interface TlsServiceSettings {
  hosts: string[];
  acme?: { directoryUrl: string; cacheDir: string; email?: string; caBundlePath?: string };
  certificatePath?: string;
  privateKeyPath?: string;
}

export interface CertificateStoreLike {
  setService(service: string, settings: TlsServiceSettings): Promise<void>;
  removeService(service: string): void;
  sniCallback(servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void;
  httpChallenge(host: string, token: string): string | undefined;
  readonly alpnProtocols: string[];
  close(): void;
}

// Where a service's certificates come from: files on disk (custom, reloaded when they change) or
// an ACME manager; and what the store reports about either.
import type { CertificateInfo, TlsLogger, TlsServiceSettings } from "./index.js";
import { errorMessage } from "./errors.js";
import { loadCertificateFiles, watchCertificateFiles } from "./custom-cert.js";
import { serialOf, type CertificatePair } from "./pem.js";
import type { AcmeManager } from "./acme/manager.js";

export interface CustomSource {
  kind: "custom";
  pair: CertificatePair;
  stopWatching: () => void;
}

export interface AcmeSource {
  kind: "acme";
  manager: AcmeManager;
}

export interface ServiceEntry {
  name: string;
  hosts: string[];
  source: CustomSource | AcmeSource;
}

/** The certificate files of a service, polled every `pollMs` (0: never) and reloaded when they change. */
export async function loadCustomSource(
  service: string,
  settings: TlsServiceSettings,
  { pollMs, logger, onReload }: { pollMs: number; logger: TlsLogger; onReload: () => void },
): Promise<CustomSource> {
  const certificatePath = settings.certificatePath as string;
  const privateKeyPath = settings.privateKeyPath as string;
  const pair = await loadCertificateFiles(certificatePath, privateKeyPath);
  const source: CustomSource = { kind: "custom", pair, stopWatching: () => undefined };
  if (pollMs > 0) {
    source.stopWatching = watchCertificateFiles([certificatePath, privateKeyPath], pollMs, () => {
      loadCertificateFiles(certificatePath, privateKeyPath).then(
        (reloaded) => {
          source.pair = reloaded;
          logger({
            event: "tls.custom_certificate_reloaded",
            service,
            certificate: certificatePath,
            serial: serialOf(reloaded.leaf),
          });
          onReload();
        },
        (error: unknown) =>
          logger({
            event: "tls.custom_certificate_reload_failed",
            service,
            certificate: certificatePath,
            error: errorMessage(error),
            keeping: serialOf(source.pair.leaf),
          }),
      );
    });
  }
  return source;
}

/** What the store reports about `host`'s certificate, if it has one yet. */
export function certificateInfo(entry: ServiceEntry, host: string): CertificateInfo | undefined {
  if (entry.source.kind === "custom") {
    const leaf = entry.source.pair.leaf;
    return {
      host,
      service: entry.name,
      source: "custom",
      serialNumber: serialOf(leaf),
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
    };
  }
  const managed = entry.source.manager.certificate(host);
  if (!managed) return undefined;
  return {
    host,
    service: entry.name,
    source: "acme",
    serialNumber: managed.serialNumber,
    notBefore: managed.notBefore,
    notAfter: managed.notAfter,
    renewAt: managed.renewAt,
  };
}

/** kamal-proxy's "default TLS hostname": the certificate of the first host of the first TLS service, if it has one. */
export function defaultPair(services: Iterable<ServiceEntry>): { chainPem: string; keyPem: string } | undefined {
  for (const entry of services) {
    const host = entry.hosts[0];
    if (host === undefined) continue;
    if (entry.source.kind === "custom") return entry.source.pair;
    const managed = entry.source.manager.certificate(host);
    if (managed) return managed.pair;
    return undefined;
  }
  return undefined;
}

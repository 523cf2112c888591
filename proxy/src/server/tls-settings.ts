// What the certificate store is told about a TLS service: certificate files, or ACME.
import type { ServiceOptions } from "./options.js";
import type { TlsServiceSettings } from "./tls-contract.js";

export interface AcmeOverrides {
  /** Replaces the service's ACME directory (tests with pebble). */
  directoryOverride?: string;
  caBundlePath?: string;
}

export function tlsServiceSettings(options: ServiceOptions, overrides: AcmeOverrides): TlsServiceSettings {
  const settings: TlsServiceSettings = { hosts: options.hosts };
  if (options.tlsCertificatePath !== "") {
    settings.certificatePath = options.tlsCertificatePath;
    settings.privateKeyPath = options.tlsPrivateKeyPath;
  } else {
    const directoryUrl = overrides.directoryOverride ?? options.acmeDirectory;
    // The TLS module scopes the cache by directory (<cache>/<sha256(url)>) as autocert does.
    settings.acme = { directoryUrl, cacheDir: options.acmeCachePath };
    if (overrides.caBundlePath !== undefined) settings.acme.caBundlePath = overrides.caBundlePath;
  }
  return settings;
}

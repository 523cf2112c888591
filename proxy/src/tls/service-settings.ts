// A service's TLS settings checked before the store uses them: kamal-proxy's refusals, with the
// hosts it will serve (normalised, duplicates and blanks dropped).
import { isIP } from "node:net";
import type { TlsServiceSettings } from "./index.js";
import { TlsError } from "./errors.js";
import { isDnsName, isWildcardHost, normalizeHost } from "./host-match.js";

/** The hosts of a service's valid TLS settings; throws a `TlsError` naming the service otherwise. */
export function validateServiceSettings(service: string, settings: TlsServiceSettings): string[] {
  const hosts = [...new Set(settings.hosts.map(normalizeHost).filter((host) => host !== ""))];
  const custom = settings.certificatePath !== undefined || settings.privateKeyPath !== undefined;
  if (custom && (!settings.certificatePath || !settings.privateKeyPath)) {
    throw new TlsError(`service ${service}: a custom TLS certificate needs both a certificate path and a private key path`);
  }
  if (custom && settings.acme) {
    throw new TlsError(`service ${service}: use either a custom TLS certificate or ACME, not both`);
  }
  if (!custom && !settings.acme) {
    throw new TlsError(`service ${service}: TLS needs ACME settings or a custom certificate`);
  }
  if (hosts.length === 0) throw new TlsError(`service ${service}: TLS requires at least one host`);
  if (settings.acme) {
    const wildcard = hosts.find(isWildcardHost);
    const ip = hosts.find((host) => isIP(host) !== 0);
    const invalid = hosts.find((host) => !isWildcardHost(host) && !isDnsName(host));
    if (wildcard) {
      // kamal-proxy: ErrorAutomaticTLSDoesNotSupportWildcards.
      throw new TlsError(
        `service ${service}: automatic TLS does not support wildcards (${wildcard}); use a custom certificate`,
      );
    }
    if (ip) throw new TlsError(`service ${service}: automatic TLS needs DNS names, not IP addresses (${ip})`);
    if (invalid) throw new TlsError(`service ${service}: ${JSON.stringify(invalid)} is not a valid DNS name for automatic TLS`);
    try {
      new URL(settings.acme.directoryUrl);
    } catch {
      throw new TlsError(`service ${service}: ACME directory URL ${JSON.stringify(settings.acme.directoryUrl)} is not a URL`);
    }
  }
  return hosts;
}

// Pending ACME challenges, shared by every ACME manager and answered by the HTTP handler (HTTP-01) and the
// TLS layer (TLS-ALPN-01). Entries exist only while a validation is in flight.

import type { SecureContext } from "node:tls";

interface HttpChallenge {
  host: string;
  keyAuthorization: string;
}

export class ChallengeRegistry {
  private readonly http = new Map<string, HttpChallenge>();
  private readonly alpn = new Map<string, SecureContext>();

  addHttp(host: string, token: string, keyAuthorization: string): void {
    this.http.set(token, { host, keyAuthorization });
  }

  removeHttp(token: string): void {
    this.http.delete(token);
  }

  /** The key authorization for a token, only when asked on the host it was issued for. */
  httpResponse(host: string, token: string): string | undefined {
    const challenge = this.http.get(token);
    return challenge && challenge.host === host ? challenge.keyAuthorization : undefined;
  }

  addAlpn(host: string, context: SecureContext): void {
    this.alpn.set(host, context);
  }

  removeAlpn(host: string): void {
    this.alpn.delete(host);
  }

  alpnContext(host: string): SecureContext | undefined {
    return this.alpn.get(host);
  }

  get hasAlpnChallenges(): boolean {
    return this.alpn.size > 0;
  }

  clear(): void {
    this.http.clear();
    this.alpn.clear();
  }
}

// User-facing TLS failures (bad certificate files, ACME refusals): the message names the host or path and
// the ACME problem, and is safe to print without a stack. `kind` mirrors BerthError's.

export class TlsError extends Error {
  readonly kind: string;
  constructor(message: string, kind = "TLS::Error") {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

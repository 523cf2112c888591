// What can go wrong while rendering, with the template offset it is about. erb.ts turns these
// into ConfigErrors naming the file, line and column.

export type FailureKind =
  /** Ruby that Berth's ERB does not evaluate (a constant, a method, a syntax form). */
  | "unsupported"
  /** Not valid Ruby at all. */
  | "syntax"
  /** Ruby would raise here too (a missing ENV.fetch key, a method called on nil, …). */
  | "ruby";

export class ErbFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function unsupported(what: string, offset: number): ErbFailure {
  return new ErbFailure("unsupported", `unsupported Ruby: ${what}`, offset);
}

export function syntaxError(what: string, offset: number): ErbFailure {
  return new ErbFailure("syntax", `syntax error: ${what}`, offset);
}

export function rubyError(message: string, offset: number): ErbFailure {
  return new ErbFailure("ruby", message, offset);
}

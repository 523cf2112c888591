// The contract between configuration and secrets: configuration only ever asks for a secret
// by name, lazily (so commands that need no secret never run a vault CLI).

export interface SecretsLookup {
  /** The value, or throws a BerthError naming the secret and the files searched. */
  get(name: string): string;
  has(name: string): boolean;
  /** Every secret, for hooks that receive them (pre-connect, pre-deploy, post-deploy). */
  all(): Readonly<Record<string, string>>;
  /** The files read, in order (later ones override earlier ones). */
  readonly files: readonly string[];
  /**
   * Reads the secrets now, their commands running while the event loop keeps going (so Ctrl-C
   * and SIGTERM, which abort `signal`, stop them at once). The synchronous reads then use the result.
   */
  preload?(signal?: AbortSignal): Promise<void>;
}

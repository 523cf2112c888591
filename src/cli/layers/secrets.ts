// The CLI's only door to the secrets layer: the Secrets reader (src/secrets/index.ts) and the
// `berth secrets fetch|extract|print` helpers (src/secrets/cli.ts). Imported lazily.
//
// Until those modules are committed, they are loaded through computed specifiers and typed by
// the contracts below (matching their current shape); then these become plain imports.

import type { SecretsLookup } from "../../secrets/types.js";

export interface SecretsOptions {
  readonly secretsPath?: string | undefined;
  readonly destination?: string | undefined;
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface SecretsModule {
  Secrets: new (options: SecretsOptions) => SecretsLookup;
}

export interface FetchSecretsOptions {
  readonly adapter: string;
  readonly account?: string;
  readonly from?: string;
}

export interface SecretsCommandContext {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface SecretsCliModule {
  /**
   * The fetched secrets as shell-escaped JSON, exactly what `kamal secrets fetch` prints. `secrets`
   * are the names to fetch; empty means whatever the adapter fetches by default.
   */
  fetch(secrets: readonly string[], options: FetchSecretsOptions, context?: SecretsCommandContext): string | Promise<string>;
  /** The value of `name` in a fetch result: an exact key, or one ending in `/name`. */
  extract(name: string, fetched: string): string;
  /** `KEY=value` lines of every secret, for debugging. */
  print(secrets: SecretsLookup): string;
}

const SECRETS_MODULE = "../../secrets/index.js";
const SECRETS_CLI_MODULE = "../../secrets/cli.js";

export async function secretsModule(): Promise<SecretsModule> {
  return (await import(SECRETS_MODULE)) as SecretsModule;
}

export async function secretsCliModule(): Promise<SecretsCliModule> {
  return (await import(SECRETS_CLI_MODULE)) as SecretsCliModule;
}

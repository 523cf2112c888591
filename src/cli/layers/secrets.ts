// The CLI's only door to the secrets layer's command helpers (src/secrets/cli.ts): the
// `berth secrets fetch|extract|print` subcommands. Imported lazily, like the configuration.
//
// Until src/secrets/cli.ts lands, the module is loaded through a computed specifier and typed by
// the contract below; when it lands, the contract is replaced by its own types.

import type { SecretsLookup } from "../../secrets/types.js";

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

const SECRETS_CLI_MODULE = "../../secrets/cli.js";

export async function secretsCliModule(): Promise<SecretsCliModule> {
  return (await import(SECRETS_CLI_MODULE)) as SecretsCliModule;
}

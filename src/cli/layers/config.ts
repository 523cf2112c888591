// The CLI's only door to the configuration layer (src/config). Imported lazily, so commands that
// need no configuration (`berth version`, `--help`) never load YAML, zod or the schema.
//
// Until src/config/index.ts lands, the module is loaded through a computed specifier and typed by
// the contract below; when it lands, the contract is replaced by its own types.

import type { SecretsLookup } from "../../secrets/types.js";

/** What the CLI uses from a loaded configuration. */
export interface Configuration {
  /** The resolved configuration as Kamal's `config.to_h`: plain data, secrets as Redacted. */
  toKamalDocument(): unknown;
  /** `aliases:` from the config: name → command line (`app exec -i --reuse 'bin/rails c'`). */
  readonly aliases: Readonly<Record<string, string | { readonly command: string }>> | ReadonlyMap<string, string | { readonly command: string }>;
  readonly secrets?: SecretsLookup;
}

export interface LoadConfigOptions {
  /** Path of the main file as given with -c (relative to cwd). */
  readonly configFile: string;
  readonly destination: string | undefined;
  /** --version: the app version to run against. */
  readonly version: string | undefined;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Secrets the configuration looks values up in (wrapped by the CLI so values get masked). */
  readonly secrets?: SecretsLookup;
}

export interface ConfigModule {
  loadConfig(options: LoadConfigOptions): Promise<Configuration> | Configuration;
  /** The raw documentation of a section (`kamal docs <section>`), or undefined if unknown. */
  docs(section?: string): string | undefined;
  /** The JSON Schema of config/deploy.yml. */
  jsonSchema(): unknown;
}

const CONFIG_MODULE = "../../config/index.js";

export async function configModule(): Promise<ConfigModule> {
  return (await import(CONFIG_MODULE)) as ConfigModule;
}

/** The command line of an alias, or undefined. */
export function aliasCommand(configuration: Configuration, name: string): string | undefined {
  const aliases = configuration.aliases as unknown;
  const entry =
    aliases instanceof Map ? (aliases.get(name) as unknown) : (aliases as Record<string, unknown> | undefined)?.[name];
  if (typeof entry === "string") return entry;
  if (typeof entry === "object" && entry !== null && typeof (entry as { command?: unknown }).command === "string") {
    return (entry as { command: string }).command;
  }
  return undefined;
}

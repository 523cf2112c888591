// The CLI's only door to the configuration layer (src/config). Imported lazily, so commands that
// need no configuration (`berth version`, `--help`) never load YAML, zod or the schema.

import { statSync } from "node:fs";
import { resolve } from "node:path";
import type * as ConfigApi from "../../config/index.js";
import type * as SecretsApi from "../../secrets/index.js";
import type { Configuration } from "../../config/index.js";
import type { SecretsLookup } from "../../secrets/types.js";
import { BerthError } from "../../util/errors.js";
import type { CommandPolicy } from "../../util/local-commands.js";
import { secretsModule } from "./secrets.js";

export type { Configuration };

export type ConfigModule = Pick<typeof ConfigApi, "loadConfigAsync" | "docs" | "jsonSchema">;

export async function configModule(): Promise<ConfigModule> {
  return import("../../config/index.js");
}

export interface ConfigurationInputs {
  readonly configFile: string;
  readonly destination: string | undefined;
  readonly version: string | undefined;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Told every secret value once the secrets are read (the output masks them from then on). */
  readonly onSecrets: (values: readonly string[]) => void;
  /** Aborted by Ctrl-C and SIGTERM: stops the load, killing a command it runs. */
  readonly signal?: AbortSignal;
  /** Whether the commands of deploy.yml's ERB and of the secrets files run (`--plan` refuses them). */
  readonly commands?: CommandPolicy;
}

/**
 * Loads the configuration with its secrets. The secrets files are named by the configuration
 * itself (`secrets_path`), so the lookup given to it opens them on first use, after loading.
 */
export async function loadConfiguration(inputs: ConfigurationInputs): Promise<Configuration> {
  if (isMissing(resolve(inputs.cwd, inputs.configFile))) {
    // Kamal's message, and what to do about it: most often this is a folder Berth hasn't been set up in.
    throw new BerthError(
      `Configuration file not found in ${inputs.configFile}: run \`berth init\` to create one, or name another with -c`,
      "Kamal::ConfigurationError",
    );
  }
  const [{ loadConfigAsync }, { Secrets }] = await Promise.all([configModule(), secretsModule()]);
  // Set once loadConfig returns; the secrets are opened later, on first use.
  const loaded: { configuration?: Configuration } = {};
  let secrets: SecretsApi.Secrets | undefined;
  let registered = false;
  const make = (): SecretsApi.Secrets =>
    (secrets ??= new Secrets({
      secretsPath: loaded.configuration?.secretsPath,
      destination: inputs.destination,
      cwd: inputs.cwd,
      env: inputs.env,
      ...(inputs.commands ? { commands: inputs.commands } : {}),
    }));
  const open = (): SecretsLookup => {
    const opened = make();
    if (!registered) {
      // Kamal reads every secrets file at the first lookup; so does Secrets. Register them all.
      registered = true;
      inputs.onSecrets(Object.values(opened.all()));
    }
    return opened;
  };
  const lookup: SecretsLookup = {
    get: (name) => open().get(name),
    has: (name) => open().has(name),
    all: () => open().all(),
    get files() {
      return open().files;
    },
    preload: async (signal) => {
      await make().preload(signal ?? inputs.signal);
      open();
    },
  };
  const configuration = (await loadConfigAsync({
    configFile: inputs.configFile,
    destination: inputs.destination,
    version: inputs.version,
    cwd: inputs.cwd,
    env: inputs.env,
    secrets: lookup,
    ...(inputs.signal ? { signal: inputs.signal } : {}),
    ...(inputs.commands ? { commands: inputs.commands } : {}),
  })) as Configuration;
  loaded.configuration = configuration;
  return configuration;
}

/** The command line of an alias defined in the configuration, or undefined. */
export function aliasCommand(configuration: Pick<Configuration, "aliases">, name: string): string | undefined {
  return Object.hasOwn(configuration.aliases, name) ? configuration.aliases[name]?.command : undefined;
}

/** Only a file that isn't there; a symlink loop or an unreadable file gets the loader's own message. */
function isMissing(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}

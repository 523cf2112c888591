// Shared helpers for configuration tests.
import { fileURLToPath } from "node:url";
import { loadConfig, loadConfigFromSources } from "../../../src/config/index.js";
import type { Configuration, LoadConfigOptions } from "../../../src/config/index.js";
import type { SecretsLookup } from "../../../src/secrets/types.js";
import { ConfigError } from "../../../src/config/errors.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/config/", import.meta.url));

/** Loads test/fixtures/config/<name>.yml with a pinned version and an empty environment. */
export function fixture(name: string, options: Omit<LoadConfigOptions, "configFile"> = {}): Configuration {
  return loadConfig({ version: "999", env: {}, cwd: FIXTURES, ...options, configFile: `${name}.yml` });
}

/** Loads YAML text given inline (as config/deploy.yml). */
export function fromText(
  text: string,
  options: { destination?: string; destinationText?: string; env?: Record<string, string>; secrets?: SecretsLookup } = {},
): Configuration {
  return loadConfigFromSources({
    base: { file: "config/deploy.yml", text },
    ...(options.destinationText === undefined
      ? {}
      : { destinationSource: { file: `config/deploy.${options.destination}.yml`, text: options.destinationText } }),
    ...(options.destination === undefined ? {} : { destination: options.destination }),
    version: "999",
    env: options.env ?? {},
    cwd: FIXTURES,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
}

/** The ConfigError a load throws (fails the test if it doesn't throw one). */
export function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

export { secretsOf as secrets } from "../../support/secrets.js";

/** A minimal valid configuration to add mistakes to. */
export const BASE = `service: app
image: dhh/app
servers:
  - 1.1.1.1
registry:
  username: user
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
`;

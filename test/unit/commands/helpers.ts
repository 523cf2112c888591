// Shared setup for the command builder golden tests: configurations written inline the way
// Kamal's own tests write theirs, pinned to version 999 (or 123) and an empty environment.
import { fileURLToPath } from "node:url";
import { loadConfig, loadConfigFromSources } from "../../../src/config/index.js";
import type { Configuration } from "../../../src/config/index.js";
import type { Cmd } from "../../../src/core/cmd.js";
import { render } from "../../../src/core/cmd.js";
import { secretsOf } from "../../support/secrets.js";

export const CONFIG_FIXTURES = fileURLToPath(new URL("../../fixtures/config/", import.meta.url));

/** Kamal's test configuration: one host, Docker Hub, amd64. */
export const KAMAL_BASE = `service: app
image: dhh/app
registry:
  username: dhh
  password: secret
servers:
  - 1.1.1.1
builder:
  arch: amd64
`;

export interface ConfigOptions {
  readonly destination?: string;
  readonly version?: string;
  readonly secrets?: Record<string, string>;
}

export { secretsOf };

/** Loads YAML given inline as config/deploy.yml. */
export function configFrom(text: string, options: ConfigOptions = {}): Configuration {
  return loadConfigFromSources({
    base: { file: "config/deploy.yml", text },
    version: options.version ?? "999",
    env: {},
    cwd: CONFIG_FIXTURES,
    ...(options.destination === undefined ? {} : { destination: options.destination }),
    ...(options.secrets === undefined ? {} : { secrets: secretsOf(options.secrets) }),
  });
}

/** Loads test/fixtures/config/<name>.yml (with its destination file when given). */
export function fixtureConfig(name: string, options: ConfigOptions = {}): Configuration {
  return loadConfig({
    configFile: `${name}.yml`,
    cwd: CONFIG_FIXTURES,
    version: options.version ?? "999",
    env: {},
    ...(options.destination === undefined ? {} : { destination: options.destination }),
    ...(options.secrets === undefined ? {} : { secrets: secretsOf(options.secrets) }),
  });
}

/** The command as Kamal's tests compare it (`join(" ")`): secrets shown. */
export const text = (command: Cmd): string => render(command, { redact: false });
/** The command as logs show it: secrets redacted. */
export const shown = (command: Cmd): string => render(command);

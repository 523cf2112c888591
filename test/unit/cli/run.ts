// Runs the CLI in-process with captured streams and a fake configuration loader.

import { runCli } from "../../../src/cli/main.js";
import type { GlobalOptions } from "../../../src/core/context.js";
import type { Configuration } from "../../../src/cli/layers/config.js";
import type { SecretsLookup } from "../../../src/secrets/types.js";
import { BerthError } from "../../../src/util/errors.js";
import { MemoryStream } from "../output/streams.js";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The -c/-d/--version of every configuration load, in order. */
  readonly loads: Array<Pick<GlobalOptions, "configFile" | "destination" | "version">>;
}

export interface RunSettings {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Configurations by config file path; a missing one fails to load like a missing file. */
  readonly configs?: Record<string, Configuration>;
}

export async function run(argv: string[], settings: RunSettings = {}): Promise<RunResult> {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const loads: RunResult["loads"] = [];
  const code = await runCli(
    argv,
    { stdout: stdout as never, stderr, env: settings.env ?? {}, cwd: settings.cwd ?? "/nonexistent-berth-test-dir" },
    {
      loadConfiguration: async (globals) => {
        loads.push({ configFile: globals.configFile, destination: globals.destination, version: globals.version });
        const configuration = settings.configs?.[globals.configFile];
        if (configuration === undefined) throw new BerthError(`Configuration file not found in ${globals.configFile}`, "Kamal::ConfigurationError");
        return configuration;
      },
    },
  );
  return { code, stdout: stdout.text, stderr: stderr.text, loads };
}

/** What the CLI uses of a Configuration: its documents, aliases and secrets. */
export function fakeConfiguration(
  document: Record<string, unknown>,
  extra: { aliases?: Record<string, string>; secrets?: SecretsLookup } = {},
): Configuration {
  const aliases = Object.fromEntries(Object.entries(extra.aliases ?? {}).map(([name, command]) => [name, { name, command }]));
  const fake = {
    toKamalDocument: () => document,
    toYaml: () => `---\n${Object.entries(document).map(([key, value]) => `:${key}: ${JSON.stringify(value)}`).join("\n")}\n`,
    aliases,
    secrets: extra.secrets,
    secretsPath: ".kamal/secrets",
  };
  return fake as unknown as Configuration;
}

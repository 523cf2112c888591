// `berth secrets fetch | extract | print`: the logic behind the commands (src/cli wires the
// command line to these), and what `$(kamal secrets …)` inside a secrets file runs in-process.
// Output text matches Kamal's `kamal secrets`, so scripts and secrets files work unchanged.

import { BerthError } from "../util/errors.js";
import { lookupAdapter, type SecretValues } from "./adapters/index.js";
import { createCommandRunner, type CommandRunner, type Environment } from "./runner.js";
import { shellEscape } from "../core/shellwords.js";
import type { SecretsLookup } from "./types.js";

export interface FetchCommandOptions {
  /** `--adapter`/`-a`: a Kamal adapter name or alias, e.g. "1password", "bitwarden-sm". */
  readonly adapter: string;
  readonly account?: string;
  readonly from?: string;
  /**
   * Kamal's hidden `--inline`, set when a secrets file runs `$(kamal secrets fetch …)`: the JSON
   * is shell-escaped then, so that `$(kamal secrets extract NAME $SECRETS)` reads it back as one
   * word. Without it the JSON is printed as it is.
   */
  readonly inline?: boolean;
}

export interface SecretsCommandContext {
  /** Where vault CLIs run; defaults to process.cwd(). */
  readonly cwd?: string;
  /** The environment vault CLIs see; defaults to process.env. */
  readonly env?: Environment;
  /** Injectable for tests; defaults to real child processes. */
  readonly runCommand?: CommandRunner;
}

/** Fetches from a vault: `{"from/item/field": value}`. */
export function fetchSecretValues(
  secrets: readonly string[],
  options: FetchCommandOptions,
  context: SecretsCommandContext = {},
): SecretValues {
  const adapter = lookupAdapter(options.adapter);
  const account = options.account === "" ? undefined : options.account;
  if (adapter.requiresAccount && account === undefined) {
    throw new BerthError(
      `No value provided for required options '--account' (the ${adapter.label} adapter needs an account)`,
      "Berth::SecretsError",
    );
  }
  const env = context.env ?? process.env;
  const run = context.runCommand ?? createCommandRunner({ cwd: context.cwd ?? process.cwd(), env });
  return adapter.fetch(secrets, { account, from: options.from }, { run, env });
}

/** `berth secrets fetch`: the results as JSON, shell-escaped with `inline`, as `kamal secrets fetch` gives them. */
export function fetch(secrets: readonly string[], options: FetchCommandOptions, context: SecretsCommandContext = {}): string {
  const json = JSON.stringify(fetchSecretValues(secrets, options, context));
  return options.inline === true ? shellEscape(json) : json;
}

/**
 * `berth secrets extract NAME JSON`: the value under NAME, or under the first key ending in
 * `/NAME` (so `DB_PASSWORD` finds `Vault/Item/DB_PASSWORD`).
 */
export function extract(name: string, json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new BerthError(`Could not extract ${name}: the secrets argument is not valid JSON (pass the output of \`secrets fetch\`)`, "Berth::SecretsError");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BerthError(`Could not extract ${name}: the secrets argument is not a JSON object`, "Berth::SecretsError");
  }
  const values = parsed as Record<string, unknown>;
  let value = Object.hasOwn(values, name) ? values[name] : undefined;
  if (value === undefined || value === null || value === false) {
    const suffix = `/${name}`;
    const key = Object.keys(values).find((candidate) => candidate.endsWith(suffix));
    value = key === undefined ? undefined : values[key];
  }
  if (value === undefined || value === null) throw new BerthError(`Could not find secret ${name}`, "Berth::SecretsError");
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `berth secrets print`: `KEY=value` lines (no trailing newline), for debugging. Shows secrets. */
export function print(secrets: SecretsLookup): string {
  return Object.entries(secrets.all())
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
}

// What every vault adapter shares, mirroring Kamal's `Adapters::Base#fetch`: require an account
// when the vault needs one, check the CLI is installed, log in, then fetch. Adapters call the
// vault's own CLI through the injected runner with the arguments Kamal uses; session tokens go
// in the child's environment and passwords are typed at the CLI's own prompt, never into argv.

import { BerthError } from "../../util/errors.js";
import type { CommandRunner, Environment } from "../runner.js";

/** `{"vault/item/field": value}`. Values are what the vault returns (strings, rarely null or JSON). */
export type SecretValues = Record<string, unknown>;

export interface FetchOptions {
  readonly account?: string;
  readonly from?: string;
}

export interface AdapterContext {
  readonly run: CommandRunner;
  /** The environment the CLIs see (e.g. DOPPLER_TOKEN). */
  readonly env: Environment;
}

export interface SecretsAdapter {
  /** Shown in errors, e.g. "1Password". */
  readonly label: string;
  readonly requiresAccount: boolean;
  fetch(secrets: readonly string[], options: FetchOptions, context: AdapterContext): SecretValues;
}

export const SECRETS_ERROR = "Berth::SecretsError";

export function secretsError(message: string): BerthError {
  return new BerthError(message, SECRETS_ERROR);
}

/** A null-prototype record, so vault keys such as `__proto__` stay plain keys. */
export function emptyValues(): SecretValues {
  return Object.create(null) as SecretValues;
}

/** Kamal's `check_dependencies!`: `<cli> --version 2> /dev/null` must succeed. */
export function ensureInstalled(context: AdapterContext, argv: readonly string[], product: string): void {
  const result = context.run({ argv, stderr: "ignore", stdin: "ignore" });
  if (result.status !== 0) {
    throw secretsError(`${product} is not installed (\`${argv[0]}\` ${result.missing ? "was not found on PATH" : "failed"})`);
  }
}

/** Kamal's `prefixed_secrets`: `from/secret` when `--from` is given. */
export function prefixed(secrets: readonly string[], from: string | undefined): string[] {
  return secrets.map((secret) => (from === undefined ? secret : `${from}/${secret}`));
}

/** Ruby's `String#split(sep)`: trailing empty fields are dropped, and "" splits into []. */
export function rubySplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Ruby's `split(sep, 2)`: the text before the first separator and the rest (if any). */
export function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** Parses a CLI's JSON output; the error names the command, never the output (it may hold secrets). */
export function parseJson(output: string, label: string, what: string): unknown {
  try {
    return JSON.parse(output) as unknown;
  } catch {
    throw secretsError(`${label}: the output of \`${what}\` is not valid JSON`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asArray(value: unknown, label: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw secretsError(`${label}: \`${what}\` did not return a JSON list`);
  return value;
}

export function stringField(record: unknown, key: string): string | undefined {
  if (!isRecord(record)) return undefined;
  const value = record[key];
  return typeof value === "string" ? value : undefined;
}

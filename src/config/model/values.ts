// Small conversions shared by the resolved model: Kamal keeps YAML scalars as Ruby values and
// calls `to_s` where it needs text, so numbers and booleans given for strings are accepted.
import { rubyToS } from "../yaml-scalars.js";
import type { YamlValue } from "../yaml-source-map.js";

export function isHash(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Ruby's `to_s` of a scalar from the config. */
export function text(value: unknown): string {
  return rubyToS(value as YamlValue);
}

export function optionalText(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : text(value);
}

/** A map of scalars as strings, keeping key order. */
export function textMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (isHash(value)) for (const [key, item] of Object.entries(value)) result[key] = text(item);
  return result;
}

export function textList(value: unknown): string[] {
  return Array.isArray(value) ? value.map((item) => text(item)) : [];
}

/** ActiveSupport's `present?` for config values. */
export function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

export function booleanOrUndefined(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

export function present(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (isHash(value)) return Object.keys(value).length > 0;
  return true;
}

/** Docker options as Kamal's `optionize` takes them: scalars as given, lists kept. */
export type DockerOptionValue = string | number | boolean | null | readonly (string | number | boolean)[];
export type DockerOptions = Readonly<Record<string, DockerOptionValue>>;

export function dockerOptions(value: unknown): Record<string, DockerOptionValue> {
  const result: Record<string, DockerOptionValue> = {};
  if (!isHash(value)) return result;
  for (const [key, item] of Object.entries(value)) {
    if (Array.isArray(item)) result[key] = item.map((entry) => (typeof entry === "number" || typeof entry === "boolean" ? entry : text(entry)));
    else if (item === null || typeof item === "number" || typeof item === "boolean") result[key] = item;
    else result[key] = text(item);
  }
  return result;
}

/**
 * A Ruby Symbol among the values `kamal config` prints (`:log_level: :fatal`): YAML shows it as
 * a plain `:name`, JSON as its name (Ruby's to_json of a Symbol).
 */
export class RubySymbol {
  constructor(readonly name: string) {}

  toJSON(): string {
    return this.name;
  }
}

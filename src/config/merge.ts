// ActiveSupport's Hash#deep_merge, which Kamal uses for destination files and role proxies:
// maps merge key by key (recursively), anything else from the override replaces the base,
// arrays included. Existing keys keep their position; new ones are appended.
import { setKey } from "./yaml-converter.js";
import { isHash } from "./model/values.js";

export function deepMerge<T>(base: T, override: unknown): T {
  if (!isHash(base) || !isHash(override)) return override as T;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) setKey(result, key, value);
  for (const [key, value] of Object.entries(override)) {
    const existing = result[key];
    setKey(result, key, isHash(existing) && isHash(value) ? deepMerge(existing, value) : value);
  }
  return result as T;
}

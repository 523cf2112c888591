// A SecretsLookup over a fixed map, for unit tests of every layer that reads secrets.
import type { SecretsLookup } from "../../src/secrets/types.js";

export function secretsOf(values: Record<string, string>): SecretsLookup {
  return {
    get(name) {
      const value = values[name];
      if (value === undefined) throw new Error(`Secret '${name}' not found`);
      return value;
    },
    has: (name) => name in values,
    all: () => values,
    files: [".kamal/secrets"],
  };
}

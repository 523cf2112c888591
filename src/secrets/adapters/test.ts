// Kamal's `test` adapter: each secret's value is its name reversed. No CLI; used by tests and
// for trying the `$(kamal secrets fetch …)` idiom without a vault.

import type { FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { emptyValues, prefixed } from "./base.js";

export const testAdapter: SecretsAdapter = {
  label: "test",
  requiresAccount: true,
  fetch(secrets: readonly string[], { from }: FetchOptions): SecretValues {
    const results = emptyValues();
    for (const secret of prefixed(secrets, from)) results[secret] = Array.from(secret).reverse().join("");
    return results;
  },
};

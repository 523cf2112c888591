// Enpass (`enpass-cli`, offline, no account), as Kamal's adapter: `--from` is the vault path;
// a secret is an item title (all its passwords) or `Title/label` (one). Results are keyed
// `Title/label`, or `Title` for an unlabelled password. The vault's master password is read
// by enpass-cli itself (its prompt or MASTERPW), never passed by Berth.

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { asArray, emptyValues, ensureInstalled, parseJson, secretsError, stringField } from "./base.js";

const LABEL = "Enpass";

export const enpass: SecretsAdapter = {
  label: LABEL,
  requiresAccount: false,
  fetch(secrets: readonly string[], { from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["enpass-cli", "version"], "Enpass CLI");
    if (from === undefined) throw secretsError("Enpass: --from must name the vault path");
    const titles = [...new Set(secrets.map(titleOf))];
    const shown = context.run({ argv: ["enpass-cli", "-json", "-vault", from, "show", ...titles] });
    if (shown.status !== 0) throw secretsError(`Could not read ${titles.join(", ")} from Enpass`);

    const results = emptyValues();
    for (const item of asArray(parseJson(shown.stdout.trim(), LABEL, "enpass-cli show"), LABEL, "enpass-cli show")) {
      const title = stringField(item, "title");
      const label = stringField(item, "label");
      const password = stringField(item, "password");
      if (title === undefined || password === undefined || password.trim() === "") continue;
      const key = label === undefined || label === "" ? title : `${title}/${label}`;
      if (!secrets.includes(title) && !secrets.includes(key)) continue;
      if (key in results) throw secretsError(`${key} is present more than once`);
      results[key] = password;
    }
    return results;
  },
};

/** `Title/label` → `Title` (Ruby's rpartition("/")); a bare title stays. */
function titleOf(secret: string): string {
  const slash = secret.lastIndexOf("/");
  return slash <= 0 ? secret.slice(slash + 1) : secret.slice(0, slash);
}

// LastPass (`lpass`), as Kamal's LastPass adapter: logged in when `lpass status --color never`
// says "Logged in as <account>.", else `lpass login <account>` (the CLI prompts for the password
// itself); then one `lpass show … --json`, keyed by each entry's full name (folder/name).

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { asArray, emptyValues, ensureInstalled, parseJson, prefixed, secretsError, stringField } from "./base.js";

const LABEL = "LastPass";

export const lastPass: SecretsAdapter = {
  label: LABEL,
  requiresAccount: true,
  fetch(secrets: readonly string[], { account, from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["lpass", "--version"], "LastPass CLI");
    login(context, account!);
    const names = prefixed(secrets, from);
    const shown = context.run({ argv: ["lpass", "show", ...names, "--json"] });
    if (shown.status !== 0) throw secretsError(`Could not read ${names.join(", ")} from LastPass`);

    const results = emptyValues();
    for (const entry of asArray(parseJson(shown.stdout, LABEL, "lpass show"), LABEL, "lpass show")) {
      const fullname = stringField(entry, "fullname");
      if (fullname !== undefined) results[fullname] = stringField(entry, "password") ?? null;
    }
    const missing = names.filter((name) => !(name in results));
    if (missing.length > 0) throw secretsError(`Could not find ${missing.join(", ")} in LastPass`);
    return results;
  },
};

function login(context: AdapterContext, account: string): void {
  const status = context.run({ argv: ["lpass", "status", "--color", "never"], stdin: "ignore" });
  if (status.stdout.trim() === `Logged in as ${account}.`) return;
  if (context.run({ argv: ["lpass", "login", account] }).status !== 0) throw secretsError(`Failed to login to LastPass (account ${account})`);
}

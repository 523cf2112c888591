// Bitwarden Secrets Manager (`bws`, authenticated by BWS_ACCESS_TOKEN in the environment), as
// Kamal's adapter: `all` lists every secret, `<project>/all` one project's, anything else is a
// secret id fetched one by one. Output is `bws … -o env` (`KEY="value"` lines), keyed by KEY.

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { emptyValues, ensureInstalled, prefixed, secretsError, splitOnce } from "./base.js";

const ALL = "all";
const PROJECT_ALL_SUFFIX = "/all";

export const bitwardenSecretsManager: SecretsAdapter = {
  label: "Bitwarden Secrets Manager",
  requiresAccount: false,
  fetch(secrets: readonly string[], { from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["bws", "--version"], "Bitwarden Secrets Manager CLI");
    if (context.run({ argv: ["bws", "run", "echo OK"], stdin: "ignore" }).status !== 0) {
      throw secretsError("Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?");
    }
    if (secrets.length === 0) throw secretsError("You must specify what to retrieve from Bitwarden Secrets Manager");

    const ids = prefixed(secrets, from);
    const listArgs = listCommand(ids);
    const results = emptyValues();
    if (listArgs !== null) {
      const listed = context.run({ argv: ["bws", ...listArgs] });
      if (listed.status !== 0) throw secretsError("Could not read secrets from Bitwarden Secrets Manager");
      addEnvLines(results, listed.stdout);
      return results;
    }
    for (const id of ids) {
      const got = context.run({ argv: ["bws", "secret", "get", "-o", "env", id] });
      if (got.status !== 0) throw secretsError(`Could not read ${id} from Bitwarden Secrets Manager`);
      addEnvLines(results, got.stdout);
    }
    return results;
  },
};

function listCommand(ids: readonly string[]): string[] | null {
  if (ids.length !== 1) return null;
  const [only] = ids as [string];
  if (only === ALL) return ["secret", "list", "-o", "env"];
  if (only.endsWith(PROJECT_ALL_SUFFIX)) return ["secret", "list", "-o", "env", only.split(PROJECT_ALL_SUFFIX)[0]!];
  return null;
}

/** `KEY="value"` lines; Kamal strips one leading and one trailing double quote from the value. */
function addEnvLines(results: SecretValues, output: string): void {
  for (const line of output.split("\n")) {
    if (line === "") continue;
    const [key, value = ""] = splitOnce(line, "=");
    results[key] = value.replace(/^"/, "").replace(/"$/, "");
  }
}

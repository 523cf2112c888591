// Doppler (`doppler`), as Kamal's adapter: logged in when `doppler me --json` succeeds, else
// `doppler login -y`. Secrets are `project/config/NAME` (or NAME with `--from project/config`);
// with a service token (DOPPLER_TOKEN starting "dp.st") project and config come from the token.
// One `doppler secrets get … --json`, keyed by NAME, valued by each secret's `computed` value.

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { emptyValues, ensureInstalled, isRecord, parseJson, prefixed, rubySplit, secretsError } from "./base.js";
import { environmentValue } from "../runner.js";

const LABEL = "Doppler";

export const doppler: SecretsAdapter = {
  label: LABEL,
  requiresAccount: false,
  fetch(secrets: readonly string[], { from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["doppler", "--version"], "Doppler CLI");
    login(context);
    const paths = prefixed(secrets, from);
    const names = paths.map((path) => rubySplit(path, "/").at(-1) ?? "");
    const argv = ["doppler", "secrets", "get", ...names, "--json"];
    if (!environmentValue(context.env, "DOPPLER_TOKEN").startsWith("dp.st")) {
      const [project, config] = rubySplit(paths[0] ?? "", "/");
      if (project === undefined || config === undefined) {
        throw secretsError("Missing project or config from '--from=project/config' option");
      }
      argv.push("-p", project, "-c", config);
    }
    const result = context.run({ argv });
    if (result.status !== 0) throw secretsError(`Could not read ${paths.join(", ")} from Doppler`);

    const json = parseJson(result.stdout, LABEL, "doppler secrets get");
    const results = emptyValues();
    if (isRecord(json)) for (const [name, secret] of Object.entries(json)) results[name] = isRecord(secret) ? (secret.computed ?? null) : null;
    return results;
  },
};

function login(context: AdapterContext): void {
  if (context.run({ argv: ["doppler", "me", "--json"], stderr: "ignore", stdin: "ignore" }).status === 0) return;
  if (context.run({ argv: ["doppler", "login", "-y"] }).status !== 0) throw secretsError("Failed to login to Doppler");
}

// Google Cloud Secret Manager (`gcloud`), as Kamal's adapter. Secrets are
// `[project/]name[/version]` ("default" project and "latest" version when left out), keyed
// `project/name`. The account is `user` or `user|service-account[,delegate…]` for
// impersonation; "default" means gcloud's active account. Logged in when `gcloud auth list`
// lists an account, else `gcloud auth login`.

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { emptyValues, ensureInstalled, isRecord, parseJson, prefixed, rubySplit, secretsError, splitOnce } from "./base.js";

const LABEL = "Google Secret Manager";
const DEFAULT = "default";

export const gcpSecretManager: SecretsAdapter = {
  label: LABEL,
  requiresAccount: true,
  fetch(secrets: readonly string[], { account, from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["gcloud", "--version"], "gcloud CLI");
    login(context);
    const [user, serviceAccount] = splitOnce(account!, "|");
    const results = emptyValues();
    for (const secret of prefixed(secrets, from)) {
      const parts = rubySplit(secret, "/");
      if (parts.length === 1) parts.unshift(DEFAULT);
      const [project = DEFAULT, name = "", version = "latest"] = parts;
      const itemName = `${project}/${name}`;
      const argv = ["gcloud", "secrets", "versions", "access", version, `--secret=${name}`];
      if (project !== DEFAULT) argv.push(`--project=${project}`);
      if (user !== DEFAULT) argv.push(`--account=${user}`);
      if (serviceAccount !== undefined) argv.push(`--impersonate-service-account=${serviceAccount}`);
      argv.push("--format=json");
      const result = context.run({ argv });
      if (result.status !== 0) throw secretsError(`Could not read ${itemName} from Google Secret Manager`);
      const json = parseJson(result.stdout.trim(), LABEL, `gcloud secrets versions access ${version} --secret=${name}`);
      const data = isRecord(json) && isRecord(json.payload) ? json.payload.data : undefined;
      if (typeof data !== "string") throw secretsError(`Google Secret Manager returned no payload for ${itemName}`);
      results[itemName] = Buffer.from(data, "base64").toString("utf8");
    }
    return results;
  },
};

function login(context: AdapterContext): void {
  if (loggedIn(context)) return;
  context.run({ argv: ["gcloud", "auth", "login"] });
  if (!loggedIn(context)) throw secretsError("could not login to gcloud");
}

function loggedIn(context: AdapterContext): boolean {
  const listed = context.run({ argv: ["gcloud", "auth", "list", "--format=json"], stdin: "ignore" });
  const json = parseJson(listed.stdout.trim() || "[]", LABEL, "gcloud auth list --format=json");
  return Array.isArray(json) && json.length > 0;
}

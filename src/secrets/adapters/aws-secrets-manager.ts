// AWS Secrets Manager (`aws`), as Kamal's adapter: one `aws secretsmanager
// batch-get-secret-value --secret-id-list …` (with `--profile <account>` when given). A secret
// whose SecretString is a JSON object gives one result per key (`name/key`); any other string
// gives `name`. Credentials are the AWS CLI's own (profile, environment, SSO).

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { asArray, emptyValues, ensureInstalled, isRecord, parseJson, prefixed, secretsError, stringField } from "./base.js";

const LABEL = "AWS Secrets Manager";
const WHAT = "aws secretsmanager batch-get-secret-value";

export const awsSecretsManager: SecretsAdapter = {
  label: LABEL,
  requiresAccount: false,
  fetch(secrets: readonly string[], { account, from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["aws", "--version"], "AWS CLI");
    const ids = prefixed(secrets, from);
    const argv = ["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", ...ids];
    if (account !== undefined) argv.push("--profile", account);
    const result = context.run({ argv });
    if (result.status !== 0) throw secretsError(`Could not read ${ids.join(", ")} from AWS Secrets Manager`);

    const json = parseJson(result.stdout, LABEL, WHAT);
    const errors = isRecord(json) && Array.isArray(json.Errors) ? json.Errors : [];
    if (errors.length > 0) {
      // Kamal's message: "<SecretId>: <Message>" for each error, joined by spaces.
      throw secretsError(errors.map((error) => `${stringField(error, "SecretId")}: ${stringField(error, "Message")}`).join(" "));
    }
    const results = emptyValues();
    for (const secret of asArray(isRecord(json) ? json.SecretValues : undefined, LABEL, WHAT)) {
      const name = stringField(secret, "Name") ?? "";
      const text = stringField(secret, "SecretString") ?? "";
      const structured = tryParseObject(text);
      if (structured === null) results[name] = text;
      else for (const [key, value] of Object.entries(structured)) results[`${name}/${key}`] = value;
    }
    return results;
  },
};

function tryParseObject(text: string): Record<string, unknown> | null {
  try {
    const parsed = JSON.parse(text) as unknown;
    return isRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

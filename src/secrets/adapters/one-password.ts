// 1Password (`op`), as Kamal's OnePassword adapter: secrets are `[op://]vault/item[/section/field]`
// (the field defaults to `password`), results are keyed by the field's reference without `op://`
// and without a trailing `/password`. With no secrets named, every field of `--from vault/item`.
// Sign-in follows current Kamal: `op signin` prints `export OP_SESSION_<id>="<token>"`, which is
// passed on as environment, never as `--session <token>` in argv.

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { asArray, emptyValues, ensureInstalled, isRecord, parseJson, prefixed, rubySplit, secretsError, stringField } from "./base.js";

const LABEL = "1Password";
const SESSION_EXPORT = /\b(OP_SESSION_\w+)\W+([^"\s]+)/;

type Session = Record<string, string>;

export const onePassword: SecretsAdapter = {
  label: LABEL,
  requiresAccount: true,
  fetch(secrets: readonly string[], { account, from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["op", "--version"], "1Password CLI");
    const session = login(context, account!);
    if (secrets.length === 0) return fetchWholeItem(context, from, account!, session);
    const results = emptyValues();
    for (const [vault, items] of groupByVaultAndItem(prefixed(secrets, from))) {
      for (const [item, fields] of items) {
        const output = itemGet(context, { vault, item, fields, account: account!, session });
        const json = parseJson(output, LABEL, `op item get ${item}`);
        addFields(results, fields.length === 1 ? [json] : asArray(json, LABEL, `op item get ${item}`));
      }
    }
    return results;
  },
};

function login(context: AdapterContext, account: string): Session {
  const signedIn = context.run({ argv: ["op", "account", "get", "--account", account], stderr: "ignore" });
  if (signedIn.status === 0) return {};
  const signin = context.run({ argv: ["op", "signin", "--account", account, "--force"] });
  if (signin.status !== 0) throw secretsError(`Failed to login to 1Password (account ${account})`);
  const match = SESSION_EXPORT.exec(signin.stdout);
  return match === null ? {} : { [match[1]!]: match[2]! };
}

function fetchWholeItem(context: AdapterContext, from: string | undefined, account: string, session: Session): SecretValues {
  if (from === undefined) throw secretsError("1Password: name the secrets to fetch, or give --from vault/item to fetch all of an item's fields");
  const [vault = "", item = ""] = rubySplit(from.replace(/^op:\/\//, ""), "/");
  const output = itemGet(context, { vault, item, account, session });
  const json = parseJson(output, LABEL, `op item get ${item}`);
  const fields = isRecord(json) ? json.fields : undefined;
  const results = emptyValues();
  addFields(results, asArray(fields, LABEL, `op item get ${item}`));
  return results;
}

/** `{vault: {item: ["section.field", …]}}`, in the order the secrets were named. */
function groupByVaultAndItem(secrets: readonly string[]): Map<string, Map<string, string[]>> {
  const vaults = new Map<string, Map<string, string[]>>();
  for (const secret of secrets) {
    const [vault = "", item = "", ...fieldPath] = rubySplit(secret.replace(/^op:\/\//, ""), "/");
    const field = fieldPath.length === 0 ? "password" : fieldPath.join(".");
    const items = vaults.get(vault) ?? new Map<string, string[]>();
    vaults.set(vault, items);
    items.set(item, [...(items.get(item) ?? []), field]);
  }
  return vaults;
}

interface ItemQuery {
  vault: string;
  item: string;
  fields?: readonly string[];
  account: string;
  session: Session;
}

function itemGet(context: AdapterContext, { vault, item, fields, account, session }: ItemQuery): string {
  const argv = ["op", "item", "get", item, "--vault", vault, "--format", "json", "--account", account];
  if (fields !== undefined && fields.length > 0) argv.push("--fields", fields.map((field) => `label=${field}`).join(","));
  const result = context.run({ argv, env: session });
  if (result.status !== 0) {
    const what = fields !== undefined && fields.length > 0 ? `${fields.join(", ")} ` : "";
    throw secretsError(`Could not read ${what}from ${item} in the ${vault} 1Password vault`);
  }
  return result.stdout;
}

function addFields(results: SecretValues, fields: readonly unknown[]): void {
  for (const field of fields) {
    const reference = stringField(field, "reference");
    if (reference === undefined) throw secretsError("1Password: a field in `op item get` output has no reference");
    const key = reference.replace(/^op:\/\//, "").replace(/\/password$/, "");
    results[key] = isRecord(field) ? (field.value ?? null) : null;
  }
}

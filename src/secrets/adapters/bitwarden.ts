// Bitwarden (`bw`), as Kamal's Bitwarden adapter: `bw status`, then `bw login <account>` when
// unauthenticated and `bw unlock --raw` when locked (both prompt for the master password on the
// terminal), then `bw sync`. The session key from unlock goes to later calls as BW_SESSION in
// their environment. Secrets are `item` (its login password, or all its custom fields) or
// `item/field` (a custom field, keyed `item/field`).

import type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";
import { emptyValues, ensureInstalled, isRecord, parseJson, prefixed, rubySplit, secretsError } from "./base.js";

const LABEL = "Bitwarden";

type Session = string | undefined;

export const bitwarden: SecretsAdapter = {
  label: LABEL,
  requiresAccount: true,
  fetch(secrets: readonly string[], { account, from }: FetchOptions, context: AdapterContext): SecretValues {
    ensureInstalled(context, ["bw", "--version"], "Bitwarden CLI");
    const session = login(context, account!);
    const results = emptyValues();
    for (const [item, fields] of groupByItem(prefixed(secrets, from))) {
      const got = bw(context, ["get", "item", item], session);
      if (got.status !== 0) throw secretsError(`Could not read ${item} from Bitwarden`);
      const json = parseJson(got.stdout.trim(), LABEL, `bw get item ${item}`);
      Object.assign(results, valuesOfItem(item, fields, json));
    }
    return results;
  },
};

function login(context: AdapterContext, account: string): Session {
  let session: Session;
  let status = statusOf(context, session);
  if (status === "unauthenticated") {
    bw(context, ["login", account], session);
    status = statusOf(context, session);
  }
  if (status === "locked") {
    const unlocked = bw(context, ["unlock", "--raw"], session).stdout.trim();
    session = unlocked === "" ? undefined : unlocked;
    status = statusOf(context, session);
  }
  if (status !== "unlocked") throw secretsError(`Failed to login to and unlock Bitwarden (status: ${status ?? "unknown"})`);
  if (bw(context, ["sync"], session).status !== 0) throw secretsError("Failed to sync Bitwarden");
  return session;
}

function statusOf(context: AdapterContext, session: Session): string | undefined {
  const json = parseJson(bw(context, ["status"], session).stdout.trim(), LABEL, "bw status");
  return isRecord(json) && typeof json.status === "string" ? json.status : undefined;
}

function bw(context: AdapterContext, args: readonly string[], session: Session) {
  return context.run({ argv: ["bw", ...args], env: session === undefined ? {} : { BW_SESSION: session } });
}

/** Kamal splits `item/field/rest` into item and field (dropping the rest); null = the whole item. */
function groupByItem(secrets: readonly string[]): Map<string, Array<string | null>> {
  const items = new Map<string, Array<string | null>>();
  for (const secret of secrets) {
    const [item = "", field] = rubySplit(secret, "/");
    items.set(item, [...(items.get(item) ?? []), field ?? null]);
  }
  return items;
}

function valuesOfItem(item: string, requested: ReadonlyArray<string | null>, json: unknown): SecretValues {
  const login = isRecord(json) && isRecord(json.login) ? json.login : undefined;
  const customFields = isRecord(json) && Array.isArray(json.fields) ? json.fields.filter(isRecord) : [];
  const named = requested.filter((field): field is string => field !== null);
  const results = emptyValues();
  for (const field of named) {
    const found = customFields.find((candidate) => candidate.name === field);
    if (found === undefined) throw secretsError(`Could not find field ${field} in item ${item} in Bitwarden`);
    results[`${item}/${field}`] = found.value ?? null;
  }
  if (named.length === requested.length) return results;
  // The item itself was named: its login password, else (named fields aside) all custom fields.
  if (login?.password !== undefined && login.password !== null) {
    results[item] = login.password;
  } else if (named.length === 0 && customFields.length > 0) {
    for (const field of customFields) results[`${item}/${String(field.name)}`] = field.value ?? null;
  } else {
    throw secretsError(`Item ${item} is not a login type item and no fields were specified`);
  }
  return results;
}

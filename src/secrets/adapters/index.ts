// `--adapter` names, as Kamal's `Adapters.lookup`: the snake_case class names plus aliases
// (matched case-insensitively, as Kamal downcases before its alias checks).

import { BerthError } from "../../util/errors.js";
import { awsSecretsManager } from "./aws-secrets-manager.js";
import type { SecretsAdapter } from "./base.js";
import { bitwarden } from "./bitwarden.js";
import { bitwardenSecretsManager } from "./bitwarden-secrets-manager.js";
import { doppler } from "./doppler.js";
import { enpass } from "./enpass.js";
import { gcpSecretManager } from "./gcp-secret-manager.js";
import { lastPass } from "./last-pass.js";
import { onePassword } from "./one-password.js";
import { passbolt } from "./passbolt.js";
import { testAdapter } from "./test.js";

const ADAPTERS: Readonly<Record<string, SecretsAdapter>> = {
  one_password: onePassword,
  "1password": onePassword,
  bitwarden,
  bitwarden_secrets_manager: bitwardenSecretsManager,
  "bitwarden-sm": bitwardenSecretsManager,
  last_pass: lastPass,
  lastpass: lastPass,
  aws_secrets_manager: awsSecretsManager,
  doppler,
  gcp_secret_manager: gcpSecretManager,
  gcp: gcpSecretManager,
  enpass,
  passbolt,
  test: testAdapter,
};

export const ADAPTER_NAMES: readonly string[] = Object.keys(ADAPTERS);

export function lookupAdapter(name: string): SecretsAdapter {
  // Aliases are matched lowercased; Kamal also takes the class name itself ("OnePassword").
  const candidates = [name.toLowerCase(), name.replace(/([a-z\d])([A-Z])/g, "$1_$2").toLowerCase()];
  const key = candidates.find((candidate) => Object.hasOwn(ADAPTERS, candidate));
  const adapter = key === undefined ? undefined : ADAPTERS[key];
  if (adapter === undefined) {
    throw new BerthError(`Unknown secrets adapter: ${name} (known: ${ADAPTER_NAMES.join(", ")})`, "Berth::SecretsError");
  }
  return adapter;
}

export type { AdapterContext, FetchOptions, SecretValues, SecretsAdapter } from "./base.js";

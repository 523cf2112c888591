// The CLI's only door to the secrets layer: the Secrets reader (src/secrets/index.ts) and the
// `berth secrets fetch|extract|print` helpers (src/secrets/cli.ts). Imported lazily, so commands
// that need no secret never load the dotenv parser or the vault adapters.

import type * as SecretsApi from "../../secrets/index.js";
import type * as SecretsCliApi from "../../secrets/cli.js";

export type SecretsModule = Pick<typeof SecretsApi, "Secrets">;
export type SecretsCliModule = Pick<typeof SecretsCliApi, "fetch" | "extract" | "print">;

export async function secretsModule(): Promise<SecretsModule> {
  return import("../../secrets/index.js");
}

export async function secretsCliModule(): Promise<SecretsCliModule> {
  return import("../../secrets/cli.js");
}

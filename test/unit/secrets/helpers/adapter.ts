// Runs an adapter the way `berth secrets fetch` does, against fake CLIs on PATH.

import { expect } from "vitest";
import { fetchSecretValues, type FetchCommandOptions } from "../../../../src/secrets/cli.js";
import type { SecretValues } from "../../../../src/secrets/adapters/index.js";
import type { FakeCli } from "./fake-cli.js";

export function fetchWith(fake: FakeCli, secrets: readonly string[], options: FetchCommandOptions): SecretValues {
  return fetchSecretValues(secrets, options, { env: fake.env, cwd: fake.dir });
}

/** Plain object copy, for toEqual against null-prototype results. */
export function plain(values: SecretValues): Record<string, unknown> {
  return { ...values };
}

/** No secret value (nor any extra sensitive string) reached any fake CLI's argv. */
export function expectNotInArgv(fake: FakeCli, sensitive: readonly unknown[]): void {
  const argv = fake.allArgs();
  for (const value of sensitive) {
    if (typeof value === "string" && value !== "") expect(argv).not.toContain(value);
  }
}

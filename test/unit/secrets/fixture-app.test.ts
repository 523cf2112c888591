import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Secrets } from "../../../src/secrets/index.js";

// test/fixtures/secrets/kamal-app: a Kamal 2 project's .kamal/secrets* in the shapes Kamal's own
// template suggests (environment, a command, the fetch/extract helpers), read unchanged.
const cwd = fileURLToPath(new URL("../../fixtures/secrets/kamal-app/", import.meta.url));
const env = { PATH: "/usr/bin:/bin", KAMAL_REGISTRY_PASSWORD: "from-env" };

describe("a Kamal project's secrets files", () => {
  it("reads secrets-common then secrets without a destination", () => {
    const secrets = new Secrets({ cwd, env });
    expect(secrets.files).toEqual([".kamal/secrets-common", ".kamal/secrets"]);
    expect({ ...secrets.all() }).toEqual({
      KAMAL_REGISTRY_PASSWORD: "from-env",
      RAILS_MASTER_KEY: "c0ffee1234567890",
      LOG_LEVEL: "debug", // `export LOG_LEVEL=debug` in the later file overrides secrets-common
      SECRETS: String.raw`\{\"Dev/App/DATABASE_PASSWORD\":\"DROWSSAP_ESABATAD/ppA/veD\",\"Dev/App/SMTP_PASSWORD\":\"DROWSSAP_PTMS/ppA/veD\"\}`,
      DATABASE_PASSWORD: "DROWSSAP_ESABATAD/ppA/veD",
      SMTP_PASSWORD: "DROWSSAP_PTMS/ppA/veD",
      DATABASE_URL: "postgres://app:DROWSSAP_ESABATAD/ppA/veD@db:5432/app",
    });
  });

  it("reads secrets-common then secrets.production with -d production (secrets is not read)", () => {
    const secrets = new Secrets({ cwd, env, destination: "production" });
    expect(secrets.files).toEqual([".kamal/secrets-common", ".kamal/secrets.production"]);
    expect(secrets.get("DATABASE_PASSWORD")).toBe("DROWSSAP_ESABATAD/ppA/dorP");
    expect(secrets.get("DATABASE_URL")).toBe("postgres://app:${DATABASE_PASSWORD}@db:5432/app");
    expect(secrets.has("SMTP_PASSWORD")).toBe(false);
    expect(() => secrets.get("SMTP_PASSWORD")).toThrow("Secret 'SMTP_PASSWORD' not found in .kamal/secrets-common, .kamal/secrets.production");
  });
});

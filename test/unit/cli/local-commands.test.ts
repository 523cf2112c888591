// Commands that work without servers, wired to the configuration and secrets layers (mocked here
// at the CLI's own door to them, src/cli/layers/).

import { beforeEach, describe, expect, it, vi } from "vitest";
import * as configLayer from "../../../src/cli/layers/config.js";
import * as secretsLayer from "../../../src/cli/layers/secrets.js";
import { BerthError } from "../../../src/util/errors.js";
import { fakeConfiguration, run } from "./run.js";

vi.mock("../../../src/cli/layers/config.js", async (importOriginal) => ({
  ...(await importOriginal<typeof configLayer>()),
  configModule: vi.fn(),
}));
vi.mock("../../../src/cli/layers/secrets.js", () => ({ secretsCliModule: vi.fn() }));

const fetchSecrets = vi.fn();
const extractSecret = vi.fn();
const printSecrets = vi.fn();

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(configLayer.configModule).mockResolvedValue({
    loadConfigAsync: async () => fakeConfiguration({}),
    docs: (section?: string) => {
      if (section === undefined) return "# Kamal configuration\nservice: app\n";
      if (section === "proxy") return "# Proxy\n";
      throw new BerthError(`No documentation found for ${section}; sections are: root, proxy`);
    },
    jsonSchema: () => ({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" }),
  });
  vi.mocked(secretsLayer.secretsCliModule).mockResolvedValue({ fetch: fetchSecrets, extract: extractSecret, print: printSecrets });
});

describe("berth docs", () => {
  it("prints the documentation of the whole configuration, or of a section", async () => {
    expect(await run(["docs"])).toMatchObject({ code: 0, stdout: "# Kamal configuration\nservice: app\n" });
    expect(await run(["docs", "proxy"])).toMatchObject({ code: 0, stdout: "# Proxy\n" });
  });

  it("names the sections there are for an unknown one", async () => {
    expect(await run(["docs", "nope"])).toMatchObject({
      code: 1,
      stderr: "  ERROR (Berth::Error): No documentation found for nope; sections are: root, proxy\n",
    });
  });
});

describe("berth schema", () => {
  it("prints the JSON Schema", async () => {
    const result = await run(["schema"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" });
  });
});

describe("berth secrets", () => {
  it("fetch passes the adapter options and prints the result unmasked", async () => {
    fetchSecrets.mockReturnValue('{"Vault/Item/DB":"hunter2-value"}');
    const result = await run(["secrets", "fetch", "-a", "1password", "--account", "acct", "--from", "Vault/Item", "DB", "API"]);
    expect(result.code).toBe(0);
    expect(fetchSecrets).toHaveBeenCalledWith(["DB", "API"], { adapter: "1password", inline: false, account: "acct", from: "Vault/Item" }, expect.anything());
    expect(result.stdout).toBe('{"Vault/Item/DB":"hunter2-value"}\n');
  });

  it("fetch --inline asks for the shell-escaped form", async () => {
    fetchSecrets.mockReturnValue("escaped");
    await run(["secrets", "fetch", "-a", "1password", "--account", "acct", "--inline", "DB"]);
    expect(fetchSecrets).toHaveBeenCalledWith(["DB"], { adapter: "1password", inline: true, account: "acct" }, expect.anything());
  });

  it("fetch requires the adapter", async () => {
    const result = await run(["secrets", "fetch", "DB"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("required option '-a, --adapter <adapter>' not specified");
  });

  it("extract prints the value", async () => {
    extractSecret.mockReturnValue("hunter2-value");
    const result = await run(["secrets", "extract", "DB", '{"Vault/Item/DB":"hunter2-value"}', "--inline"]);
    expect(extractSecret).toHaveBeenCalledWith("DB", '{"Vault/Item/DB":"hunter2-value"}');
    expect(result.stdout).toBe("hunter2-value\n");
  });

  it("print shows the values on purpose, though they are registered as secrets", async () => {
    const secrets = { get: () => "", has: () => true, all: () => ({ DB_PASSWORD: "hunter2-value" }), files: [".kamal/secrets"] };
    printSecrets.mockReturnValue("DB_PASSWORD=hunter2-value");
    const result = await run(["secrets", "print"], { configs: { "config/deploy.yml": fakeConfiguration({}, { secrets }) } });
    expect(result).toMatchObject({ code: 0, stdout: "DB_PASSWORD=hunter2-value\n" });
    expect(printSecrets).toHaveBeenCalledWith(secrets);
  });

  it("reports a vault failure as a Berth error", async () => {
    fetchSecrets.mockImplementation(() => {
      throw new BerthError("op is not installed", "Berth::SecretsError");
    });
    const result = await run(["secrets", "fetch", "-a", "1password"]);
    expect(result).toMatchObject({ code: 1, stderr: "  ERROR (Berth::SecretsError): op is not installed\n" });
  });
});

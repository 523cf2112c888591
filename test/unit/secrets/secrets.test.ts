import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Secrets } from "../../../src/secrets/index.js";
import { createCommandRunner, type CommandRequest, type CommandRunner } from "../../../src/secrets/runner.js";
import { BerthError } from "../../../src/util/errors.js";
import { fakeCli, type FakeCli } from "./helpers/fake-cli.js";

const SYSTEM_ENV = { PATH: "/usr/bin:/bin" };

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "berth-secrets-"));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(cwd, path)), { recursive: true });
    writeFileSync(join(cwd, path), text);
  }
}

/** A real runner that records every request. */
function recordingRunner(env: Record<string, string> = SYSTEM_ENV): { run: CommandRunner; requests: CommandRequest[] } {
  const real = createCommandRunner({ cwd, env });
  const requests: CommandRequest[] = [];
  return { requests, run: (request) => (requests.push(request), real(request)) };
}

const refuseToRun: CommandRunner = (request) => {
  throw new Error(`no child process expected, got ${request.argv.join(" ")}`);
};

function errorOf(action: () => unknown): BerthError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    return error as BerthError;
  }
  throw new Error("expected a BerthError");
}

describe("Secrets files and precedence", () => {
  it("reads secrets-common, then secrets; the later file wins", () => {
    write({ ".kamal/secrets-common": "A=common\nB=common", ".kamal/secrets": "B=main\nC=main", ".kamal/secrets.production": "C=prod" });
    const secrets = new Secrets({ cwd, env: {} });
    expect(secrets.files).toEqual([".kamal/secrets-common", ".kamal/secrets"]);
    expect({ ...secrets.all() }).toEqual({ A: "common", B: "main", C: "main" });
  });

  it("with a destination reads secrets.<dest> instead of secrets (which is never parsed)", () => {
    write({
      ".kamal/secrets-common": "A=common\nB=common",
      ".kamal/secrets": "B=main\nBOOM=$(exit 3)",
      ".kamal/secrets.production": "B=prod",
    });
    const secrets = new Secrets({ cwd, env: {}, destination: "production", runCommand: refuseToRun });
    expect(secrets.files).toEqual([".kamal/secrets-common", ".kamal/secrets.production"]);
    expect(secrets.get("A")).toBe("common");
    expect(secrets.get("B")).toBe("prod");
    expect(secrets.has("BOOM")).toBe(false);
  });

  it("skips missing files", () => {
    write({ ".kamal/secrets.staging": "ONLY=staging" });
    const secrets = new Secrets({ cwd, env: {}, destination: "staging" });
    expect(secrets.files).toEqual([".kamal/secrets.staging"]);
    expect(secrets.get("ONLY")).toBe("staging");
  });

  it("uses a custom secrets_path", () => {
    write({ "config/vault-common": "A=1", "config/vault": "B=2" });
    const secrets = new Secrets({ cwd, env: {}, secretsPath: "config/vault" });
    expect(secrets.filenames).toEqual(["config/vault-common", "config/vault"]);
    expect({ ...secrets.all() }).toEqual({ A: "1", B: "2" });
  });

  it("parses each file on its own: $VAR does not see keys of an earlier file", () => {
    write({ ".kamal/secrets-common": "SHARED=from-common", ".kamal/secrets": "USE=[$SHARED]" });
    expect(new Secrets({ cwd, env: { SHARED: "from-env" } }).get("USE")).toBe("[from-env]");
  });
});

describe("Secrets lookups and errors", () => {
  it("names the secret and every file searched, and no value", () => {
    write({ ".kamal/secrets-common": "DB_PASSWORD=hunter2", ".kamal/secrets": "API_KEY=k3y" });
    const error = errorOf(() => new Secrets({ cwd, env: {} }).get("MISSING"));
    expect(error.message).toBe("Secret 'MISSING' not found in .kamal/secrets-common, .kamal/secrets");
    expect(error.kind).toBe("Berth::ConfigurationError");
  });

  it("lists the files looked for when none exists", () => {
    const error = errorOf(() => new Secrets({ cwd, env: {}, destination: "beta" }).get("X"));
    expect(error.message).toBe("Secret 'X' not found, no secret files (.kamal/secrets-common, .kamal/secrets.beta) provided");
  });

  it("suggests a key differing only in case, and points at skipped lines", () => {
    write({ ".kamal/secrets": "Api_Key=v\nDB PASSWORD=oops\n" });
    const error = errorOf(() => new Secrets({ cwd, env: {} }).get("API_KEY"));
    expect(error.message).toBe(
      "Secret 'API_KEY' not found in .kamal/secrets (did you mean 'Api_Key'?); these lines are not KEY=value and were skipped: .kamal/secrets:2",
    );
  });

  it("returns a frozen copy from all()", () => {
    write({ ".kamal/secrets": "A=1" });
    const secrets = new Secrets({ cwd, env: {} });
    const all = secrets.all();
    expect(Object.isFrozen(all)).toBe(true);
    expect(all).not.toBe(secrets.all());
  });
});

describe("Secrets loading is lazy and happens once", () => {
  it("runs nothing until the first lookup, then never again", () => {
    write({ ".kamal/secrets": "A=$(printf one)\nB=$(printf two)" });
    const { run, requests } = recordingRunner();
    const secrets = new Secrets({ cwd, env: SYSTEM_ENV, runCommand: run });
    expect(secrets.files).toEqual([".kamal/secrets"]);
    expect(requests).toHaveLength(0);
    expect(secrets.get("A")).toBe("one");
    expect(requests).toHaveLength(2);
    expect(secrets.get("B")).toBe("two");
    expect(secrets.has("A")).toBe(true);
    secrets.all();
    expect(requests).toHaveLength(2);
  });

  it("remembers a failure instead of re-running the vault", () => {
    write({ ".kamal/secrets": "A=$(exit 4)" });
    const { run, requests } = recordingRunner();
    const secrets = new Secrets({ cwd, env: SYSTEM_ENV, runCommand: run });
    expect(() => secrets.get("A")).toThrow(BerthError);
    expect(() => secrets.get("A")).toThrow(BerthError);
    expect(requests).toHaveLength(1);
  });
});

describe("Secrets shell command substitution", () => {
  it("runs $(…) with /bin/sh -c and strips one trailing newline, as Ruby's chomp does", () => {
    // In double quotes \n becomes a newline before the command runs; unquoted, dotenv drops the backslash.
    write({ ".kamal/secrets": "A=\"$(printf 'a\\n\\n')\"\nB=$(echo plain)\nC=$(printf 'a\\n')" });
    const values = new Secrets({ cwd, env: SYSTEM_ENV }).all();
    expect(values.A).toBe("a\n");
    expect(values.B).toBe("plain");
    expect(values.C).toBe("an");
  });

  it("lets the shell expand $VAR from earlier keys, so values never reach argv", () => {
    write({ ".kamal/secrets": "TOKEN=abc-secret-value\nUPPER=$(printf '%s' \"$TOKEN\" | tr a-z A-Z)\nHOME_TOO=$(printf '%s' \"$HOME\")" });
    const { run, requests } = recordingRunner({ ...SYSTEM_ENV, HOME: "/home/deploy" });
    const secrets = new Secrets({ cwd, env: { ...SYSTEM_ENV, HOME: "/home/deploy" }, runCommand: run });
    expect(secrets.get("UPPER")).toBe("ABC-SECRET-VALUE");
    expect(secrets.get("HOME_TOO")).toBe("/home/deploy");
    expect(requests[0]!.argv).toEqual(["/bin/sh", "-c", "printf '%s' \"$TOKEN\" | tr a-z A-Z"]);
    expect(requests[0]!.env).toEqual({ TOKEN: "abc-secret-value" });
    expect(requests.flatMap((request) => request.argv).join(" ")).not.toContain("abc-secret-value");
  });

  it("passes only the keys a command names, so a file's PATH= does not break other commands", () => {
    write({ ".kamal/secrets": "PATH=/nowhere\nAWS_PROFILE=prod\nA=$(printf '%s' \"$AWS_PROFILE\" | tr a-z A-Z)\nB=$(echo ok)" });
    const { run, requests } = recordingRunner();
    const secrets = new Secrets({ cwd, env: SYSTEM_ENV, runCommand: run });
    expect(secrets.get("A")).toBe("PROD");
    expect(secrets.get("B")).toBe("ok");
    expect(requests.map((request) => request.env)).toEqual([{ AWS_PROFILE: "prod" }, {}]);
  });

  it("fails naming the file, the key and the exit status, never the output", () => {
    write({ ".kamal/secrets": "OK=1\nDB_PASSWORD=$(printf 'leaked-output'; exit 3)" });
    const error = errorOf(() => new Secrets({ cwd, env: SYSTEM_ENV }).get("OK"));
    expect(error.message).toBe("Command substitution $(printf …) for DB_PASSWORD in .kamal/secrets failed (exit status 3)");
    expect(error.message).not.toContain("leaked-output");
    expect(error.kind).toBe("Berth::SecretsError");
  });

  it("reports a missing program through the shell's exit status", () => {
    write({ ".kamal/secrets": "A=$(no-such-vault-cli read x 2>/dev/null)" });
    expect(() => new Secrets({ cwd, env: SYSTEM_ENV }).get("A")).toThrow("Command substitution $(no-such-vault-cli …) for A in .kamal/secrets failed (exit status 127)");
  });
});

describe("Secrets in-process `kamal secrets` / `berth secrets`", () => {
  it("runs fetch and extract in-process (no child process), with Kamal's shell-escaped JSON between them", () => {
    write({
      ".kamal/secrets": [
        "SECRETS=$(kamal secrets fetch --adapter test --account acct --from vault A B)",
        "A=$(kamal secrets extract A ${SECRETS})",
        "B=$(berth secrets extract vault/B $SECRETS)",
        "C=$(bin/kamal secrets fetch -a=test --account=acct C)",
      ].join("\n"),
    });
    const values = new Secrets({ cwd, env: {}, runCommand: refuseToRun }).all();
    expect(values.SECRETS).toBe(String.raw`\{\"vault/A\":\"A/tluav\",\"vault/B\":\"B/tluav\"\}`);
    expect(values.A).toBe("A/tluav");
    expect(values.B).toBe("B/tluav");
    expect(values.C).toBe(String.raw`\{\"C\":\"C\"\}`);
  });

  it("names the key and file when an inline command fails", () => {
    write({ ".kamal/secrets": "X=$(kamal secrets fetch --adapter nope A)" });
    const error = errorOf(() => new Secrets({ cwd, env: {}, runCommand: refuseToRun }).get("X"));
    expect(error.message).toMatch(/^Unknown secrets adapter: nope .*\(for X in \.kamal\/secrets\)$/);
  });

  describe("Kamal's documented 1Password idiom, against a fake `op`", () => {
    let fake: FakeCli;
    afterEach(() => fake.cleanup());

    it("fetches once and extracts values containing spaces, quotes and $ intact, keeping them out of argv", () => {
      const dbPassword = `p@ss w$rd"'\`x\``;
      const registryPassword = "reg-9a8b7c";
      const item = [
        { id: "1", label: "REGISTRY_PASSWORD", value: registryPassword, reference: "op://MyVault/MyItem/REGISTRY_PASSWORD" },
        { id: "2", label: "DB_PASSWORD", value: dbPassword, reference: "op://MyVault/MyItem/DB_PASSWORD" },
      ];
      fake = fakeCli({
        op: [
          { args: ["--version"], stdout: "2.30.0\n" },
          { args: ["account", "get", "--account", "my-account"], stdout: "ok\n" },
          {
            args: ["item", "get", "MyItem", "--vault", "MyVault", "--format", "json", "--account", "my-account", "--fields", "label=REGISTRY_PASSWORD,label=DB_PASSWORD"],
            stdout: JSON.stringify(item),
          },
        ],
      });
      write({
        ".kamal/secrets": [
          "# From Kamal's docs",
          "SECRETS=$(kamal secrets fetch --adapter 1password --account my-account --from MyVault/MyItem REGISTRY_PASSWORD DB_PASSWORD)",
          "KAMAL_REGISTRY_PASSWORD=$(kamal secrets extract REGISTRY_PASSWORD $SECRETS)",
          "DB_PASSWORD=$(kamal secrets extract DB_PASSWORD ${SECRETS})",
        ].join("\n"),
      });
      const secrets = new Secrets({ cwd, env: fake.env });
      expect(secrets.get("KAMAL_REGISTRY_PASSWORD")).toBe(registryPassword);
      expect(secrets.get("DB_PASSWORD")).toBe(dbPassword);
      expect(fake.calls().map((call) => call.program)).toEqual(["op", "op", "op"]);
      expect(fake.allArgs()).not.toContain(registryPassword);
      expect(fake.allArgs()).not.toContain("w$rd");
    });
  });
});

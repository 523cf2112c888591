// Property-based fuzzing of what Berth reads before it trusts it: the ERB + YAML configuration
// loader and the secrets (dotenv) parser. Whatever the text, a load either succeeds or fails
// with a BerthError that names the problem, never with a crash (TypeError, RangeError, a stack
// overflow) and never slowly. Commands are stubbed: fuzzed text must run nothing.
// The seed is fixed, so CI runs the same inputs every time; BERTH_FUZZ_SEED and BERTH_FUZZ_RUNS
// explore further (a failure prints the seed and path that reproduce it).
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { loadConfigFromSources, renderErb, toYaml } from "../../../src/config/index.js";
import type { SecretsLookup } from "../../../src/secrets/types.js";
import { parseDotenv } from "../../../src/secrets/dotenv.js";
import { BerthError } from "../../../src/util/errors.js";

const SEED = Number(process.env.BERTH_FUZZ_SEED ?? 20_261_104);
const RUNS = Number(process.env.BERTH_FUZZ_RUNS ?? 1_500);
/** One input may take this long at most: far above any real one, far below a hang. */
const SLOW_MS = 2_000;

const BASE = `service: app
image: team/app
servers:
  web:
    - 10.0.0.1
  workers:
    hosts:
      - 10.0.0.2: [tag]
registry:
  username: deployer
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
env:
  clear:
    A: "1"
  secret:
    - DB
proxy:
  host: app.example
  app_port: 3000
accessories:
  db:
    image: postgres:16
    host: 10.0.0.1
`;

/** Fragments that YAML, ERB and Kamal's settings give meaning to, for structured noise. */
const YAML_TOKENS = [
  "service", "image", "servers", "web", "hosts", "env", "clear", "secret", "tags", "proxy", "host", "app_port",
  "accessories", "registry", "builder", "arch", "ssh", "aliases", "boot", "limit", "retain_containers", "x-a",
  "__proto__", "constructor", "toString", "<<", ": ", ":", "- ", "-", "? ", "\n", "\n  ", "\n    ", "  ", "\t",
  "&a ", "*a", "&b ", "*b", "[", "]", "{", "}", ",", "'", '"', "\\", "#", "!!str ", "!!int ", "!!binary ", "!ruby/object:File ",
  "~", "null", "yes", "no", "on", ":sym", "0x1F", "0o17", "1_000", "1:30", ".inf", ".nan", "1e3", "---\n", "...\n", "%YAML 1.1\n",
  "|\n  ", ">-\n  ", "<%= ENV['A'] %>", "<%= ENV.fetch('A', 'x') %>", "<%= `cmd` %>", "<%= %x(cmd) %>", "<%- -%>", "<%# c %>",
  "<%% x %>", "<%", "%>", "<%= ", ".strip", " || ", "\u0000", "\u0085", "\uFEFF", "é", "😀", "10.0.0.1", "-oProxyCommand=x",
];

const DOTENV_TOKENS = [
  "KEY", "A", "B", "export ", "=", ": ", " ", "\t", "\n", "\r\n", "#", "'", '"', "\\", "\\n", "$", "$A", "${A}", "${", "}",
  "$(", ")", "(", "$(echo x)", "$(kamal secrets fetch --adapter test A)", "`", "DOTENV_LINEBREAK_MODE=legacy\n", "\u0000", "é", "😀",
];

const tokens = (vocabulary: readonly string[]): fc.Arbitrary<string> =>
  fc.array(fc.oneof(fc.constantFrom(...vocabulary), fc.string({ maxLength: 4 })), { maxLength: 120 }).map((parts) => parts.join(""));

/** The base configuration with a few random insertions, deletions and replacements. */
const mutated = (base: string, vocabulary: readonly string[]): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: 12 }), fc.oneof(fc.constantFrom(...vocabulary), fc.string({ maxLength: 6 }))), {
      minLength: 1,
      maxLength: 6,
    })
    .map((edits) => edits.reduce((text, [at, remove, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice((at % (text.length + 1)) + remove), base));

/** Settings' names at every level, for documents of the right shape with values of any kind. */
const SETTING_KEYS = [
  "service", "image", "servers", "web", "workers", "hosts", "cmd", "env", "clear", "secret", "tags", "labels", "options",
  "proxy", "host", "app_port", "ssl", "healthcheck", "path", "interval", "accessories", "db", "port", "volumes", "files",
  "directories", "registry", "server", "username", "password", "builder", "arch", "remote", "context", "args", "secrets",
  "ssh", "user", "keys", "proxy_command", "boot", "limit", "wait", "logging", "driver", "aliases", "retain_containers",
  "readiness_delay", "deploy_timeout", "drain_timeout", "primary_role", "allow_empty_roles", "hooks_path", "asset_path",
  "require_destination", "minimum_version", "error_pages_path", "run_directory", "sshkit", "x-a", "__proto__", "constructor",
];
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ maxLength: 12 }),
    fc.constantFrom("10.0.0.1", "app", "25%", "amd64", "1:2:3", "-oX", "a b", ""),
    fc.integer({ min: -5, max: 70_000 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...SETTING_KEYS), tie("value"), { maxKeys: 3 }),
  ),
})).value;

/** The base configuration with some settings replaced by values of any shape. */
const reshaped = fc
  .dictionary(fc.constantFrom(...SETTING_KEYS), anyValue, { maxKeys: 4 })
  .map((overrides) => stringify({ ...(parse(BASE) as Record<string, unknown>), ...overrides }));

const yamlText = fc.oneof(
  { weight: 3, arbitrary: reshaped },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }) },
  { weight: 3, arbitrary: tokens(YAML_TOKENS) },
  { weight: 4, arbitrary: mutated(BASE, YAML_TOKENS) },
);

const dotenvText = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }) },
  { weight: 4, arbitrary: tokens(DOTENV_TOKENS) },
  { weight: 2, arbitrary: mutated("A=1\nexport B=\"two $A\"\nC='three'\nD=$(echo four)\n# comment\nE: five\n", DOTENV_TOKENS) },
);

/** Runs `work`; it may fail, but only with a BerthError carrying a message, and never slowly. */
function cleanly(work: () => unknown): void {
  const started = performance.now();
  try {
    work();
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    expect(error.message.trim()).not.toBe("");
    expect(error.message).not.toMatch(/\[object Object\]|\bundefined\b|\bNaN\b/);
  }
  const elapsed = performance.now() - started;
  if (elapsed > SLOW_MS) throw new Error(`took ${Math.round(elapsed)} ms`);
}

const ENV = { A: "value-a", KAMAL_REGISTRY_PASSWORD: "pw" };
const stubCommand = (): { stdout: string } => ({ stdout: "output\n" });
const secrets: SecretsLookup = { get: (name) => `secret-${name}`, has: () => true, all: () => ({}), files: [".kamal/secrets"] };

/** Loads `text` and, when it loads, builds what `berth config` prints from the whole model. */
function loadAndShow(base: string, destination?: string): void {
  const config = loadConfigFromSources({
    base: { file: "config/deploy.yml", text: base },
    ...(destination === undefined ? {} : { destinationSource: { file: "config/deploy.staging.yml", text: destination }, destination: "staging" }),
    env: ENV,
    version: "fuzz",
    cwd: "/nonexistent",
    runCommand: stubCommand,
    secrets,
  });
  toYaml(config);
}

describe("fuzzing the configuration loader (ERB + YAML + validation)", () => {
  it("loads or refuses with a BerthError, quickly, whatever the text", () => {
    fc.assert(
      fc.property(yamlText, (text) => {
        cleanly(() => loadAndShow(text));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("merges any destination file over a valid base without crashing", () => {
    fc.assert(
      fc.property(yamlText, (text) => {
        cleanly(() => loadAndShow(BASE, text));
      }),
      { seed: SEED + 1, numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it("renders ERB or refuses it, running no command of its own", () => {
    fc.assert(
      fc.property(tokens(YAML_TOKENS), (text) => {
        cleanly(() => renderErb(text, { file: "config/deploy.yml", env: ENV, runCommand: stubCommand }));
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });
});

describe("fuzzing the secrets parser (dotenv)", () => {
  it("parses or refuses with a BerthError, quickly, whatever the text", () => {
    fc.assert(
      fc.property(dotenvText, (text) => {
        cleanly(() => {
          const { values, ignoredLines } = parseDotenv(text, { file: ".kamal/secrets", env: ENV, substituteCommand: () => "substituted" });
          const lines = text.split(/\r\n|\r|\n/).length;
          for (const line of ignoredLines) expect(line >= 1 && line <= lines).toBe(true);
          for (const value of Object.values(values)) expect(typeof value).toBe("string");
        });
      }),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });

  it("refuses $(…) cleanly where commands are not allowed", () => {
    fc.assert(
      fc.property(dotenvText, (text) => {
        cleanly(() => parseDotenv(text, { file: ".kamal/secrets", env: ENV }));
      }),
      { seed: SEED + 4, numRuns: Math.ceil(RUNS / 2) },
    );
  });
});

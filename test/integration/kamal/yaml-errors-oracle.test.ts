// YAML mistakes reported where they are, checked against Psych inside real Kamal: an unclosed
// quote or bracket at the line and column where it opens (as Psych reports it); a badly
// indented line at that line, and where Psych names the mapping instead (`while parsing a
// block mapping at line 4 column 3`), Berth's message names that line too.
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/errors.js";
import { parseYaml } from "../../../src/config/yaml.js";
import { baseEnv, kamalErb, type ErbResult } from "../../support/kamal/kamal.js";

const BASE = "service: app\nimage: dhh/app\n";

const OPENINGS: readonly { name: string; yaml: string }[] = [
  { name: "an unclosed double quote", yaml: `${BASE}registry:\n  server: "ghcr.io\n  username: me\nbuilder:\n  arch: amd64\n` },
  { name: "an unclosed single quote", yaml: `${BASE}env:\n  clear:\n    A: 'it''s\n    B: 2\n` },
  { name: "an unclosed quote in a flow list", yaml: `${BASE}servers: [1.1.1.1, "2.2.2.2]\n` },
  { name: "an unclosed [", yaml: `${BASE}servers: [1.1.1.1, 2.2.2.2\nbuilder:\n  arch: amd64\n` },
  { name: "an unclosed {", yaml: `${BASE}servers: {web: [1.1.1.1]\nbuilder:\n  arch: amd64\n` },
  { name: "an unclosed { inside a [", yaml: `${BASE}servers: [1.1.1.1, {a: 2]\n` },
  { name: "an unclosed [ in a list item", yaml: `${BASE}servers:\n  - [1.1.1.1, 2\n  - 3.3.3.3\n` },
];

const INDENTATION: readonly { name: string; yaml: string; line: number }[] = [
  { name: "a key indented under a plain value", yaml: `${BASE}  registry: x\n`, line: 3 },
  { name: "a key indented more than its siblings", yaml: `${BASE}env:\n  clear:\n    A: 1\n     B: 2\n`, line: 6 },
  { name: "a key indented less than its siblings", yaml: `${BASE}servers:\n  web:\n    - 1.1.1.1\n   job:\n    - 2\n`, line: 6 },
  { name: "a key between two mappings' columns", yaml: `${BASE}builder:\n    arch: amd64\n  foo: 1\n`, line: 5 },
  { name: "a list item indented less than the list", yaml: `${BASE}env:\n  clear:\n    - A\n   - B\n`, line: 6 },
];

let results: ErbResult[];

beforeAll(() => {
  results = kamalErb([...OPENINGS, ...INDENTATION].map((item) => ({ template: item.yaml, env: baseEnv(), yaml: true })));
}, 120_000);

function berth(yaml: string): { line: number; column: number; message: string } {
  try {
    parseYaml(yaml, "config/deploy.yml");
  } catch (error) {
    if (error instanceof ConfigError) return error.issues[0]!;
    throw error;
  }
  throw new Error("expected a YAML syntax error");
}

describe("an unclosed quote or bracket is reported where it opens, as Psych does", () => {
  OPENINGS.forEach((item, index) => {
    it(item.name, () => {
      const psych = results[index] as { error: string; line: number; column: number };
      expect(psych.error).toMatch(/^Psych::SyntaxError/);
      expect(berth(item.yaml)).toMatchObject({ line: psych.line, column: psych.column });
    });
  });
});

describe("bad indentation is reported at the line", () => {
  INDENTATION.forEach((item, index) => {
    it(item.name, () => {
      const psych = results[OPENINGS.length + index] as { error: string; line: number; column: number };
      expect(psych.error).toMatch(/^Psych::SyntaxError/);
      const issue = berth(item.yaml);
      expect(issue.line).toBe(item.line);
      expect(issue.message).toMatch(/^YAML syntax error: bad indentation: /);
      // Psych points at this line, or at the mapping the line fails to join, which Berth names.
      if (psych.line !== item.line) expect(issue.message).toContain(`line ${psych.line}`);
    });
  });
});

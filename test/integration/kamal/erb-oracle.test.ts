// Berth's ERB against Kamal's: every form in erb-forms.ts is rendered by real Kamal 2.12 (its
// own ERB step, in a Kamal process) and by Berth; the outputs must be equal byte for byte.
// Ruby errors must fail in both; Ruby outside Berth's subset must fail in Berth by name.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/errors.js";
import { renderErb } from "../../../src/config/erb.js";
import { baseEnv, kamalErb, type ErbResult } from "../../support/kamal/kamal.js";
import { parse } from "yaml";
import { BERTH_STRICTER, ERB_ERRORS, ERB_FORMS, type ErbForm } from "./erb-forms.js";

let cwd: string;
let results: ErbResult[];
const cases = [...ERB_FORMS, ...ERB_ERRORS, ...BERTH_STRICTER];

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), "berth-erb-"));
  results = kamalErb(cases.map((form) => ({ template: form.template, env: baseEnv(form.env) })));
}, 120_000);

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function berth(form: ErbForm): { output: string } | { error: string } {
  try {
    return { output: renderErb(form.template, { file: "config/deploy.yml", env: baseEnv(form.env), cwd, yaml: true }) };
  } catch (error) {
    if (error instanceof ConfigError) return { error: error.message };
    throw error;
  }
}

describe("ERB forms render as Kamal renders them", () => {
  ERB_FORMS.forEach((form, index) => {
    it(form.name, () => {
      const kamal = results[index]!;
      expect(kamal, "Kamal rendered it").toHaveProperty("output");
      const rendered = berth(form);
      if (!form.asYaml) return expect(rendered).toEqual(kamal);
      expect(rendered).toHaveProperty("output");
      const yaml = (result: ErbResult): unknown => parse((result as { output: string }).output, { version: "1.1" });
      expect(yaml(rendered)).toEqual(yaml(kamal));
    });
  });
});

describe("Ruby errors fail in both", () => {
  ERB_ERRORS.forEach((form, index) => {
    it(form.name, () => {
      expect(results[ERB_FORMS.length + index], "Kamal fails").toHaveProperty("error");
      const result = berth(form);
      expect(result).toHaveProperty("error");
      expect((result as { error: string }).error).toMatch(/^config\/deploy\.yml:\d+:\d+: ERB: /);
    });
  });
});

describe("where Berth stops and Kamal renders", () => {
  BERTH_STRICTER.forEach((form, index) => {
    it(form.name, () => {
      expect(results[ERB_FORMS.length + ERB_ERRORS.length + index], "Kamal renders it").toHaveProperty("output");
      expect(berth(form)).toHaveProperty("error");
    });
  });
});

// YAML typed the way Ruby's Psych types it, with positions for every value.
import { describe, expect, it } from "vitest";
import { deepMerge } from "../../../src/config/merge.js";
import { parseYaml } from "../../../src/config/yaml.js";
import { psychScalar } from "../../../src/config/yaml-scalars.js";
import { configError } from "./helpers.js";

describe("Psych scalar typing", () => {
  it("reads YAML 1.1 booleans but leaves y/n as strings", () => {
    expect(["yes", "Yes", "ON", "true", "no", "off", "FALSE"].map(psychScalar)).toEqual([true, true, true, true, false, false, false]);
    expect(["y", "n", "Y", "N"].map(psychScalar)).toEqual(["y", "n", "Y", "N"]);
  });

  it("reads numbers: underscores, octal, hex, binary, sexagesimal, floats with a dot", () => {
    expect(psychScalar("40_000_000")).toBe(40_000_000);
    expect(psychScalar("0755")).toBe(0o755);
    expect(psychScalar("0x1F")).toBe(31);
    expect(psychScalar("0b101")).toBe(5);
    expect(psychScalar("22:22")).toBe(1342);
    expect(psychScalar("1.5")).toBe(1.5);
    expect(psychScalar("-3")).toBe(-3);
    expect(psychScalar("1e3")).toBe("1e3");
    expect(psychScalar("08")).toBe("08");
  });

  it("reads nulls and symbols", () => {
    expect(["", "~", "null", "NULL"].map(psychScalar)).toEqual([null, null, null, null]);
    expect(psychScalar(":verbose")).toBe("verbose");
    expect(psychScalar("host:80")).toBe("host:80");
  });
});

describe("parseYaml", () => {
  it("keeps quoted scalars as strings and lets repeated keys override, as Psych does", () => {
    const { value } = parseYaml('a: "yes"\nb: \'0755\'\nc: 1\nc: 2\nd: !!str 12\n', "f.yml");
    expect(value).toEqual({ a: "yes", b: "0755", c: 2, d: "12" });
  });

  it("merges anchors in Psych's order: merged keys override earlier ones, later keys override them", () => {
    const text = "base: &base\n  a: 1\n  b: 1\nfirst: &first\n  b: 2\nx:\n  a: 0\n  <<: *base\n  c: 3\ny:\n  <<: [*first, *base]\n";
    const { value } = parseYaml(text, "f.yml");
    expect(value).toMatchObject({ x: { a: 1, b: 1, c: 3 }, y: { b: 2, a: 1 } });
  });

  it("records the line and column of keys and values", () => {
    const { sourceMap } = parseYaml("servers:\n  web:\n    hosts:\n      - 1.1.1.1\n", "f.yml");
    expect(sourceMap.get(["servers", "web"])).toEqual({ file: "f.yml", value: { line: 3, column: 5 }, key: { line: 2, column: 3 }, collection: true });
    expect(sourceMap.get(["servers", "web", "hosts", 0])).toEqual({ file: "f.yml", value: { line: 4, column: 9 } });
    expect(sourceMap.nearest(["servers", "web", "cmd"])?.key).toEqual({ line: 2, column: 3 });
  });

  it("reports syntax errors with file, line and column", () => {
    const error = configError(() => parseYaml("a: 1\nb: 2\nc: [\n", "config/deploy.yml"));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ path: "", file: "config/deploy.yml", line: 3, column: 4 });
    expect(error.issues[0]!.message).toMatch(/^YAML syntax error: /);
  });

  // Positions checked against Psych in test/integration/kamal/yaml-errors-oracle.test.ts.
  const syntaxError = (text: string): { line: number; column: number; message: string } => configError(() => parseYaml(text, "f.yml")).issues[0]!;

  it("reports an unclosed quote where it opens, not where the file ends", () => {
    expect(syntaxError('a: 1\nb: "x\nc: 2\nd: 3\n')).toMatchObject({ line: 2, column: 4, message: 'YAML syntax error: the double-quoted string that starts here is never closed (no " ends it)' });
    expect(syntaxError("a: 'it''s\nb: 1\n")).toMatchObject({ line: 1, column: 4 });
    expect(syntaxError('a: "x\\"\nb: 1\n')).toMatchObject({ line: 1, column: 4 });
  });

  it("reports an unclosed bracket where it opens, the innermost first", () => {
    expect(syntaxError("a: [1, 2\nb: 1\n")).toMatchObject({ line: 1, column: 4, message: "YAML syntax error: the [ that starts here is never closed (a ] is missing)" });
    expect(syntaxError("a: [1, {x: 2]\n")).toMatchObject({ line: 1, column: 8, message: "YAML syntax error: the { that starts here is never closed (a } is missing)" });
    expect(syntaxError('a: [1, "x\n')).toMatchObject({ line: 1, column: 8, message: expect.stringContaining("double-quoted string") });
  });

  it("reports bad indentation at the line, naming what it fails to line up with", () => {
    expect(syntaxError("servers:\n  web:\n    - 1.1.1.1\n   job:\n    - 2\n")).toMatchObject({
      line: 4,
      column: 4,
      message: "YAML syntax error: bad indentation: this key is at column 4, but the keys of its mapping (from line 2) are at column 3",
    });
    expect(syntaxError("service: app\n  image: x\n")).toMatchObject({
      line: 2,
      column: 3,
      message: "YAML syntax error: bad indentation: this line is indented more than line 1, so it reads as more of that line's value, where a key can't start",
    });
    expect(syntaxError("env:\n  clear:\n    - A\n   - B\n")).toMatchObject({
      line: 4,
      column: 4,
      message: "YAML syntax error: bad indentation: this line is indented 3 spaces, which lines up neither with line 3 (4) nor with the key on line 2 (2)",
    });
  });

  it("never lets a __proto__ key reach the prototype", () => {
    const { value } = parseYaml("__proto__:\n  polluted: true\n", "f.yml");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(value as object)).toEqual(["__proto__"]);
  });
});

describe("deepMerge (ActiveSupport deep_merge)", () => {
  it("merges maps recursively and replaces everything else, arrays included", () => {
    const base = { a: { b: 1, c: [1, 2] }, d: "x", keep: true };
    const override = { a: { c: [3], e: 2 }, d: { now: "map" } };
    expect(deepMerge(base, override)).toEqual({ a: { b: 1, c: [3], e: 2 }, d: { now: "map" }, keep: true });
    expect(Object.keys(deepMerge({ z: 1, a: 1 }, { b: 1, z: 2 }))).toEqual(["z", "a", "b"]);
    expect(base.a.c).toEqual([1, 2]);
  });
});

describe("destinationConfigFile", () => {
  it("replaces the extension like Ruby's sub_ext", async () => {
    const { destinationConfigFile } = await import("../../../src/config/index.js");
    expect(destinationConfigFile("config/deploy.yml", "staging")).toBe("config/deploy.staging.yml");
    expect(destinationConfigFile("config/deploy.yaml", "staging")).toBe("config/deploy.staging.yml");
    expect(destinationConfigFile("deploy", "qa")).toBe("deploy.qa.yml");
  });
});

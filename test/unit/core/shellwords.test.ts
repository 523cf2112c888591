import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { shellEscape, shellSplit } from "../../../src/core/shellwords.js";
import { BerthError } from "../../../src/util/errors.js";

// Expected values were produced by Ruby's own Shellwords and JSON (see the fixture's "generator").
interface RubyFixture {
  escape: Array<[string, string]>;
  split: Array<[string, string[]]>;
  json_dump: Array<[Record<string, string>, string]>;
}
const ruby = JSON.parse(readFileSync(new URL("../../fixtures/secrets/ruby-shellwords.json", import.meta.url), "utf8")) as RubyFixture;

describe("shellEscape (Ruby String#shellescape)", () => {
  it.each(ruby.escape)("%j", (input, expected) => {
    expect(shellEscape(input)).toBe(expected);
  });
});

describe("shellSplit (Ruby String#shellsplit)", () => {
  it.each(ruby.split)("%j", (input, expected) => {
    expect(shellSplit(input)).toEqual(expected);
  });

  it("round-trips what shellEscape produces", () => {
    const json = JSON.stringify({ A: "x y", B: "p$1\"q'\n`z`", C: "ünï" });
    expect(shellSplit(`extract A ${shellEscape(json)}`)).toEqual(["extract", "A", json]);
  });

  it("rejects an unmatched quote with a BerthError", () => {
    expect(() => shellSplit("a 'open")).toThrow(BerthError);
    expect(() => shellSplit("a 'open")).toThrow(/unmatched quote at character 3/);
  });
});

describe("JSON text", () => {
  it.each(ruby.json_dump)("JSON.stringify matches Ruby's JSON.dump for %j", (value, expected) => {
    expect(JSON.stringify(value)).toBe(expected);
  });
});

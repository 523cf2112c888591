// Psych's typing of YAML scalars (YAML 1.1 as Ruby reads it, which differs from the `yaml`
// package's YAML 1.1 schema: `y`/`n` stay strings, `:sym` is a Ruby symbol) and Ruby's `to_s`.
import type { Scalar } from "yaml";
import type { YamlValue } from "./yaml-source-map.js";

/** Ruby's `to_s` of a scalar: `nil` is empty, floats keep their decimal point. */
export function rubyToS(value: YamlValue | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) && !Object.is(value, -0) ? String(value) : rubyFloatToS(value);
  return String(value);
}

function rubyFloatToS(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  return String(value);
}

export function scalarValue(node: Scalar): YamlValue {
  if (node.type !== "PLAIN" || node.tag !== undefined) {
    const value = node.value;
    if (value instanceof Date) return node.source ?? value.toISOString();
    if (typeof value === "bigint") return Number(value);
    return (value ?? null) as YamlValue;
  }
  return psychScalar(node.source ?? String(node.value ?? ""));
}

const INTEGER = /^[-+]?(?:0|[1-9][0-9_,]*)$/;
const BINARY = /^[-+]?0b[01_]+$/;
const OCTAL = /^[-+]?0[0-7_]+$/;
const HEX = /^[-+]?0x[0-9a-fA-F_]+$/;
const FLOAT = /^[-+]?(?:[0-9][0-9_,]*)?\.[0-9]*(?:[eE][-+][0-9]+)?$/;
const SEXAGESIMAL_INT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/;
const SEXAGESIMAL_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/;

/** Psych's ScalarScanner#tokenize for plain (unquoted) scalars. */
export function psychScalar(source: string): YamlValue {
  const text = source;
  if (text === "" || text === "~" || /^null$/i.test(text)) return null;
  if (/^(?:yes|true|on)$/i.test(text)) return true;
  if (/^(?:no|false|off)$/i.test(text)) return false;
  // A Ruby symbol; its to_s (all Kamal ever does with one) drops the colon.
  if (/^:./.test(text)) {
    const name = text.slice(1);
    const quoted = /^(["'])(.*)\1$/.exec(name);
    return quoted ? quoted[2]! : name;
  }
  if (/^\.inf$/i.test(text) || /^\+\.inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-\.inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^\.nan$/i.test(text)) return Number.NaN;
  if (SEXAGESIMAL_INT.test(text)) return sexagesimal(text);
  if (SEXAGESIMAL_FLOAT.test(text)) return sexagesimal(text);
  if (BINARY.test(text)) return signed(text, (digits) => parseInt(digits.slice(2).replace(/_/g, ""), 2));
  if (HEX.test(text)) return signed(text, (digits) => parseInt(digits.slice(2).replace(/_/g, ""), 16));
  if (OCTAL.test(text)) return signed(text, (digits) => parseInt(digits.replace(/_/g, ""), 8));
  if (INTEGER.test(text)) return Number(text.replace(/[_,]/g, ""));
  if (FLOAT.test(text) && /[0-9]/.test(text)) return Number(text.replace(/[_,]/g, ""));
  return text;
}

function signed(text: string, parse: (digits: string) => number): number {
  const negative = text.startsWith("-");
  const digits = text.replace(/^[-+]/, "");
  const value = parse(digits);
  return negative ? -value : value;
}

function sexagesimal(text: string): number {
  const negative = text.startsWith("-");
  const parts = text.replace(/^[-+]/, "").replace(/_/g, "").split(":");
  let total = 0;
  for (const part of parts) total = total * 60 + Number(part);
  return negative ? -total : total;
}

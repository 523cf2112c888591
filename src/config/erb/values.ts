// Ruby values as ERB templates in deploy.yml use them: nil, true/false, Integers, Strings,
// Arrays, Ranges and ENV, with Ruby's to_s, inspect, truthiness, equality and ActiveSupport's
// blank?.

export interface RubyRange {
  readonly kind: "range";
  readonly from: RubyValue;
  readonly to: RubyValue;
  readonly exclusive: boolean;
}

export interface RubyEnv {
  readonly kind: "env";
}

export type RubyValue = null | boolean | number | string | readonly RubyValue[] | RubyRange | RubyEnv;

export const ENV_OBJECT: RubyEnv = { kind: "env" };

export function isArray(value: RubyValue): value is readonly RubyValue[] {
  return Array.isArray(value);
}

export function isRange(value: RubyValue): value is RubyRange {
  return typeof value === "object" && value !== null && !Array.isArray(value) && (value as RubyRange).kind === "range";
}

export function isEnv(value: RubyValue): value is RubyEnv {
  return value === ENV_OBJECT;
}

export function truthy(value: RubyValue): boolean {
  return value !== null && value !== false;
}

/** The class name Ruby would show, e.g. in "undefined method `x' for nil:NilClass". */
export function className(value: RubyValue): string {
  if (value === null) return "NilClass";
  if (value === true) return "TrueClass";
  if (value === false) return "FalseClass";
  if (typeof value === "number") return "Integer";
  if (typeof value === "string") return "String";
  if (isArray(value)) return "Array";
  if (isRange(value)) return "Range";
  return "Object";
}

/** What `<%= %>` and `#{}` print: Ruby's to_s. */
export function toS(value: RubyValue): string {
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (isArray(value)) return inspect(value);
  if (isRange(value)) return `${toS(value.from)}${value.exclusive ? "..." : ".."}${toS(value.to)}`;
  return "ENV";
}

export function inspect(value: RubyValue): string {
  if (value === null) return "nil";
  if (typeof value === "string") return inspectString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (isArray(value)) return `[${value.map(inspect).join(", ")}]`;
  if (isRange(value)) return `${inspect(value.from)}${value.exclusive ? "..." : ".."}${inspect(value.to)}`;
  return "ENV";
}

const INSPECT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\v": "\\v", "\b": "\\b", "\x07": "\\a", "\x1b": "\\e",
};

/** Ruby's String#inspect for UTF-8 strings. */
function inspectString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const escaped = INSPECT_ESCAPES[ch];
    if (escaped !== undefined) out += escaped;
    else if (ch === "#" && /[{$@]/.test(text[i + 1] ?? "")) out += "\\#";
    else if (ch < " " || ch === "\x7f") out += `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Ruby's `==` for these values. */
export function equal(left: RubyValue, right: RubyValue): boolean {
  if (isArray(left) && isArray(right)) return left.length === right.length && left.every((item, index) => equal(item, right[index]!));
  if (isRange(left) && isRange(right)) return left.exclusive === right.exclusive && equal(left.from, right.from) && equal(left.to, right.to);
  return left === right;
}

/** ActiveSupport's blank?: nil, false, whitespace-only strings and empty arrays. */
export function blank(value: RubyValue): boolean {
  if (value === null || value === false) return true;
  if (typeof value === "string") return /^[\s\u0085]*$/u.test(value);
  if (isArray(value)) return value.length === 0;
  return false;
}

/** A value as an error message shows it: `nil`, `"text":String`. */
export function describe(value: RubyValue): string {
  if (value === null || typeof value === "boolean") return `${inspect(value)}:${className(value)}`;
  if (isEnv(value)) return "ENV";
  const shown = inspect(value);
  return `${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}:${className(value)}`;
}

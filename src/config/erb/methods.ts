// The methods and operators the ERB subset knows, with Ruby's results and Ruby's errors (a
// NoMethodError for a method the value's class lacks, a TypeError for "a" + nil, …). A method
// that Ruby has but Berth doesn't evaluate is refused as unsupported, by name.
import { rubyError, unsupported, type ErbFailure } from "./failure.js";
import { split, toInteger, trimmed } from "./strings.js";
import { blank, className, describe, equal, inspect, isArray, isEnv, isRange, toS, type RubyRange, type RubyValue } from "./values.js";

export type BlockFn = (args: readonly RubyValue[]) => RubyValue;

export interface MethodCall {
  readonly receiver: RubyValue;
  readonly name: string;
  readonly args: readonly RubyValue[];
  readonly block: BlockFn | undefined;
  readonly at: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

type Method = (call: MethodCall) => RubyValue;

const ANY: Readonly<Record<string, Method>> = {
  "nil?": (call) => (arity(call, 0), call.receiver === null),
  "to_s": (call) => (arity(call, 0), toS(call.receiver)),
  inspect: (call) => (arity(call, 0), inspect(call.receiver)),
  "blank?": (call) => (arity(call, 0), blank(call.receiver)),
  "present?": (call) => (arity(call, 0), !blank(call.receiver)),
  presence: (call) => (arity(call, 0), blank(call.receiver) ? null : call.receiver),
};

const NIL: Readonly<Record<string, Method>> = {
  to_a: (call) => (arity(call, 0), []),
  to_i: (call) => (arity(call, 0), 0),
};

const STRING: Readonly<Record<string, Method>> = {
  strip: (call) => (arity(call, 0), trimmed(call.receiver as string, true, true)),
  lstrip: (call) => (arity(call, 0), trimmed(call.receiver as string, true, false)),
  rstrip: (call) => (arity(call, 0), trimmed(call.receiver as string, false, true)),
  chomp: (call) => {
    arity(call, 0, 1);
    const text = call.receiver as string;
    if (call.args.length === 0) return text.replace(/(?:\r\n|\n|\r)$/, "");
    const suffix = stringArg(call, 0);
    return suffix !== "" && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
  },
  downcase: (call) => (arity(call, 0), (call.receiver as string).toLowerCase()),
  upcase: (call) => (arity(call, 0), (call.receiver as string).toUpperCase()),
  split: (call) => {
    arity(call, 0, 2);
    const separator = call.args.length === 0 || call.args[0] === null ? " " : stringArg(call, 0);
    return split(call.receiver as string, separator, call.args.length === 2 ? integerArg(call, 1) : 0);
  },
  "empty?": (call) => (arity(call, 0), call.receiver === ""),
  length: (call) => (arity(call, 0), [...(call.receiver as string)].length),
  size: (call) => (arity(call, 0), [...(call.receiver as string)].length),
  to_i: (call) => (arity(call, 0), toInteger(call.receiver as string)),
  "include?": (call) => (arity(call, 1), (call.receiver as string).includes(stringArg(call, 0))),
  "start_with?": (call) => call.args.some((_, index) => (call.receiver as string).startsWith(stringArg(call, index))),
  "end_with?": (call) => call.args.some((_, index) => (call.receiver as string).endsWith(stringArg(call, index))),
  "[]": (call) => {
    arity(call, 1);
    const text = call.receiver as string;
    const key = call.args[0]!;
    if (typeof key === "string") return text.includes(key) ? key : null;
    const chars = [...text];
    const index = integerArg(call, 0);
    return chars[index < 0 ? chars.length + index : index] ?? null;
  },
};

const ARRAY: Readonly<Record<string, Method>> = {
  first: (call) => ends(call, asArray(call.receiver), "first"),
  last: (call) => ends(call, asArray(call.receiver), "last"),
  join: (call) => {
    arity(call, 0, 1);
    const separator = call.args.length === 0 || call.args[0] === null ? "" : stringArg(call, 0);
    const flatten = (items: readonly RubyValue[]): string => items.map((item) => (isArray(item) ? flatten(item) : toS(item))).join(separator);
    return flatten(asArray(call.receiver));
  },
  each: (call) => (iterate(call, (item) => [item]), call.receiver),
  each_with_index: (call) => (iterate(call, (item, index) => [item, index]), call.receiver),
  map: (call) => iterate(call, (item) => [item]),
  "empty?": (call) => (arity(call, 0), asArray(call.receiver).length === 0),
  length: (call) => (arity(call, 0), asArray(call.receiver).length),
  size: (call) => (arity(call, 0), asArray(call.receiver).length),
  "include?": (call) => (arity(call, 1), asArray(call.receiver).some((item) => equal(item, call.args[0]!))),
  to_a: (call) => (arity(call, 0), asArray(call.receiver)),
  compact: (call) => (arity(call, 0), asArray(call.receiver).filter((item) => item !== null)),
  "[]": (call) => {
    arity(call, 1);
    const items = asArray(call.receiver);
    const index = integerArg(call, 0);
    return items[index < 0 ? items.length + index : index] ?? null;
  },
};

const RANGE: Readonly<Record<string, Method>> = {
  ...ARRAY,
  first: (call) => (call.args.length === 0 ? (call.receiver as RubyRange).from : ends(call, asArray(call.receiver), "first")),
  last: (call) => (call.args.length === 0 ? (call.receiver as RubyRange).to : ends(call, asArray(call.receiver), "last")),
  "include?": (call) => {
    arity(call, 1);
    const { from, to, exclusive } = call.receiver as RubyRange;
    const value = call.args[0]!;
    if (typeof value !== "number" || typeof from !== "number" || typeof to !== "number") return false;
    return value >= from && (exclusive ? value < to : value <= to);
  },
};

const INTEGER: Readonly<Record<string, Method>> = {
  to_i: (call) => (arity(call, 0), call.receiver),
  times: (call) => {
    arity(call, 0);
    iterate({ ...call, receiver: { kind: "range", from: 0, to: call.receiver, exclusive: true } }, (item) => [item]);
    return call.receiver;
  },
};

const ENV_METHODS: Readonly<Record<string, Method>> = {
  "[]": (call) => (arity(call, 1), call.env[stringArg(call, 0)] ?? null),
  fetch: (call) => {
    arity(call, 1, 2);
    const name = stringArg(call, 0);
    const value = call.env[name];
    if (value !== undefined) return value;
    if (call.block) return call.block([name]);
    if (call.args.length === 2) return call.args[1]!;
    throw rubyError(`ENV.fetch(${inspect(name)}): environment variable ${name} is not set`, call.at);
  },
  "key?": (call) => (arity(call, 1), call.env[stringArg(call, 0)] !== undefined),
};
const ENV_ALIASES: Readonly<Record<string, Method>> = {
  "has_key?": ENV_METHODS["key?"]!,
  "include?": ENV_METHODS["key?"]!,
  "member?": ENV_METHODS["key?"]!,
};

/** Calls `receiver.name(*args)`, as Ruby would. */
export function callMethod(call: MethodCall): RubyValue {
  const { receiver, name } = call;
  const table =
    receiver === null ? NIL
    : typeof receiver === "string" ? STRING
    : typeof receiver === "number" ? INTEGER
    : isArray(receiver) ? ARRAY
    : isRange(receiver) ? RANGE
    : isEnv(receiver) ? { ...ENV_METHODS, ...ENV_ALIASES }
    : {};
  const method = table[name] ?? (isEnv(receiver) ? undefined : ANY[name]);
  if (method) return method(call);
  if (isEnv(receiver)) throw unsupported(`ENV.${name}`, call.at);
  if (KNOWN_ELSEWHERE.has(name)) throw noMethod(call);
  throw unsupported(`the method \`${name}\` (on ${className(receiver)})`, call.at);
}

// Methods the subset implements for some class: on another class they are Ruby's NoMethodError.
const KNOWN_ELSEWHERE = new Set([
  ...Object.keys(STRING), ...Object.keys(ARRAY), ...Object.keys(INTEGER), ...Object.keys(NIL), ...Object.keys(ENV_METHODS), ...Object.keys(ENV_ALIASES),
]);

export function noMethod(call: { receiver: RubyValue; name: string; at: number }): ErbFailure {
  return rubyError(`undefined method \`${call.name}' for ${describe(call.receiver)} (NoMethodError)`, call.at);
}

/** `+ - * / % == != < > <= >=` between two values. */
export function binaryOperator(op: string, left: RubyValue, right: RubyValue, at: number): RubyValue {
  if (op === "==") return equal(left, right);
  if (op === "!=") return !equal(left, right);
  if (typeof left === "number" && typeof right === "number") return arithmetic(op, left, right, at);
  if (typeof left === "number") {
    if (["<", ">", "<=", ">="].includes(op)) throw rubyError(`comparison of Integer with ${className(right)} failed (ArgumentError)`, at);
    throw rubyError(`${right === null ? "nil" : className(right)} can't be coerced into Integer (TypeError)`, at);
  }
  if (typeof left === "string") {
    if (op === "+") {
      if (typeof right !== "string") throw rubyError(`no implicit conversion of ${right === null ? "nil" : className(right)} into String (TypeError)`, at);
      return left + right;
    }
    if (op === "*" && typeof right === "number" && right >= 0) return left.repeat(right);
    if (["<", ">", "<=", ">="].includes(op)) {
      if (typeof right !== "string") throw rubyError(`comparison of String with ${right === null ? "nil" : className(right)} failed (ArgumentError)`, at);
      return arithmetic(op, compareStrings(left, right), 0, at);
    }
  }
  if (isArray(left) && op === "+") {
    if (!isArray(right)) throw rubyError(`no implicit conversion of ${right === null ? "nil" : className(right)} into Array (TypeError)`, at);
    return [...left, ...right];
  }
  if (left === null || typeof left === "boolean" || isEnv(left) || isRange(left) || isArray(left) || typeof left === "string") {
    throw noMethod({ receiver: left, name: op, at });
  }
  throw unsupported(`the operator ${op}`, at);
}

function arithmetic(op: string, left: number, right: number, at: number): RubyValue {
  switch (op) {
    case "+":
      return left + right;
    case "-":
      return left - right;
    case "*":
      return left * right;
    case "/":
    case "%": {
      if (right === 0) throw rubyError("divided by 0 (ZeroDivisionError)", at);
      const quotient = Math.floor(left / right);
      return op === "/" ? quotient : left - right * quotient;
    }
    case "<":
      return left < right;
    case ">":
      return left > right;
    case "<=":
      return left <= right;
    case ">=":
      return left >= right;
    default:
      throw unsupported(`the operator ${op}`, at);
  }
}

function compareStrings(left: string, right: string): number {
  const a = Buffer.from(left, "utf8");
  const b = Buffer.from(right, "utf8");
  return Buffer.compare(a, b);
}

// Helpers --------------------------------------------------------------------------------------

function arity(call: MethodCall, min: number, max = min): void {
  const given = call.args.length;
  if (given < min || given > max) {
    const expected = min === max ? `${min}` : `${min}..${max}`;
    throw rubyError(`wrong number of arguments calling \`${call.name}' (given ${given}, expected ${expected}) (ArgumentError)`, call.at);
  }
}

function stringArg(call: MethodCall, index: number): string {
  const value = call.args[index]!;
  if (typeof value !== "string") throw rubyError(`no implicit conversion of ${value === null ? "nil" : className(value)} into String (TypeError)`, call.at);
  return value;
}

function integerArg(call: MethodCall, index: number): number {
  const value = call.args[index]!;
  if (typeof value !== "number") throw rubyError(`no implicit conversion of ${value === null ? "nil" : className(value)} into Integer (TypeError)`, call.at);
  return value;
}

function asArray(value: RubyValue, at = 0): readonly RubyValue[] {
  if (isArray(value)) return value;
  if (isRange(value)) {
    const { from, to, exclusive } = value;
    if (typeof from !== "number" || typeof to !== "number") throw unsupported(`iterating a range of ${className(from)}`, at);
    const items: number[] = [];
    for (let n = from; exclusive ? n < to : n <= to; n++) items.push(n);
    return items;
  }
  return [];
}

function ends(call: MethodCall, items: readonly RubyValue[], which: "first" | "last"): RubyValue {
  arity(call, 0, 1);
  if (call.args.length === 0) return (which === "first" ? items[0] : items[items.length - 1]) ?? null;
  const count = integerArg(call, 0);
  if (count < 0) throw rubyError("negative array size (ArgumentError)", call.at);
  return which === "first" ? items.slice(0, count) : items.slice(Math.max(0, items.length - count));
}

function iterate(call: MethodCall, args: (item: RubyValue, index: number) => RubyValue[]): RubyValue[] {
  if (!call.block) throw unsupported(`\`${call.name}\` without a block`, call.at);
  const block = call.block;
  return asArray(call.receiver, call.at).map((item, index) => block(args(item, index)));
}

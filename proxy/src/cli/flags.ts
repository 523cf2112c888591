// A cobra/pflag-compatible flag parser: `--flag=value` and `--flag value`, Go booleans
// (`--tls-redirect=false`), Go durations, string slices that split on commas and repeat,
// and a record of which flags were given (cobra's Changed) for kamal-proxy's preRun rules.
import { parseDuration } from "../util/duration.js";

export type FlagType = "string" | "bool" | "int" | "duration" | "strings";

export interface FlagSpec {
  name: string;
  type: FlagType;
  default?: string | boolean | number | string[];
  /** Environment variables consulted (in order) when the flag is not given. */
  env?: string[];
  help: string;
  /** Accepted for compatibility but refused with this reason when set. */
  unsupported?: string;
}

export type FlagValue = string | boolean | number | string[];

export interface ParsedFlags {
  values: Record<string, FlagValue>;
  changed: Set<string>;
  positionals: string[];
  help: boolean;
}

export class FlagError extends Error {}

const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

export function parseGoBool(text: string, flag: string): boolean {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  throw new FlagError(`invalid argument "${text}" for "--${flag}" flag: strconv.ParseBool: parsing "${text}": invalid syntax`);
}

/** pflag's StringSlice: one CSV record per occurrence (quotes allowed), values appended. */
export function splitSlice(text: string): string[] {
  if (text === "") return [];
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        current += ch;
      }
    } else if (ch === '"' && current === "") {
      quoted = true;
    } else if (ch === ",") {
      out.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.type) {
    case "string":
      return raw;
    case "bool":
      return parseGoBool(raw, spec.name);
    case "int": {
      if (!/^[-+]?\d+$/.test(raw.trim())) {
        throw new FlagError(`invalid argument "${raw}" for "--${spec.name}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      }
      return Number(raw.trim());
    }
    case "duration":
      try {
        return parseDuration(raw);
      } catch {
        throw new FlagError(`invalid argument "${raw}" for "--${spec.name}" flag: time: invalid duration "${raw}"`);
      }
    case "strings":
      return splitSlice(raw);
  }
}

function defaultValue(spec: FlagSpec): FlagValue {
  if (spec.default !== undefined) return Array.isArray(spec.default) ? [...spec.default] : spec.default;
  switch (spec.type) {
    case "string":
      return "";
    case "bool":
      return false;
    case "int":
    case "duration":
      return 0;
    case "strings":
      return [];
  }
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], env: NodeJS.ProcessEnv = {}): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values: Record<string, FlagValue> = {};
  const changed = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  for (const spec of specs) values[spec.name] = defaultValue(spec);

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") {
      if (arg.startsWith("-") && arg.length > 1) throw new FlagError(`unknown shorthand flag: '${arg.slice(1, 2)}' in ${arg}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new FlagError(`unknown flag: --${name}`);
    let raw: string;
    if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else if (spec.type === "bool") {
      raw = "true";
    } else {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
      raw = argv[++i]!;
    }
    const value = convert(spec, raw);
    if (spec.type === "strings") {
      values[name] = changed.has(name) ? [...(values[name] as string[]), ...(value as string[])] : value;
    } else {
      values[name] = value;
    }
    changed.add(name);
  }

  for (const spec of specs) {
    if (changed.has(spec.name) || spec.env === undefined) continue;
    for (const variable of spec.env) {
      const raw = env[variable];
      if (raw === undefined || raw === "") continue;
      values[spec.name] = convert(spec, raw);
      break;
    }
  }
  for (const spec of specs) {
    if (spec.unsupported !== undefined && changed.has(spec.name)) throw new FlagError(`--${spec.name} is not supported: ${spec.unsupported}`);
  }
  return { values, changed, positionals, help };
}

export function flagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((spec) => {
    const type = spec.type === "bool" ? "" : ` ${spec.type === "strings" ? "strings" : spec.type}`;
    const shown = spec.default === undefined || spec.default === "" || spec.default === false || (Array.isArray(spec.default) && spec.default.length === 0);
    return [`      --${spec.name}${type}`, `${spec.help}${shown ? "" : ` (default ${JSON.stringify(spec.default)})`}`];
  });
  const width = Math.max(...rows.map((row) => row[0]!.length)) + 3;
  return rows.map(([left, right]) => left!.padEnd(width) + right).join("\n");
}

/** A parsed flag's value, as the type its spec declares. */
export const stringFlag = (flags: ParsedFlags, name: string): string => flags.values[name] as string;
export const numberFlag = (flags: ParsedFlags, name: string): number => flags.values[name] as number;
export const boolFlag = (flags: ParsedFlags, name: string): boolean => flags.values[name] as boolean;
export const listFlag = (flags: ParsedFlags, name: string): string[] => flags.values[name] as string[];

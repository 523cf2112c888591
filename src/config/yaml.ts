// YAML as Kamal reads it: YAML 1.1 through Ruby's Psych (`YAML.unsafe_load`). The `yaml`
// package parses the text; plain scalars are then typed with Psych's rules (which differ
// from the package's YAML 1.1 schema: `y`/`n` stay strings, `:sym` is a Ruby symbol, keys may
// repeat with the last one winning) and merge keys follow Psych's order. While converting we
// record where every value sits, so validation errors can name a line and column.
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments } from "yaml";
import type { Alias, Document, Node, Pair, Scalar, YAMLMap } from "yaml";
import { ConfigError } from "./errors.js";
import { yamlSyntaxIssue } from "./yaml-errors.js";
import { LIMITS } from "./limits.js";

export type YamlValue = null | string | number | boolean | YamlValue[] | { [key: string]: YamlValue };
export type Path = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface NodeLocation {
  readonly file: string;
  /** Where the value starts. */
  readonly value: Position;
  /** Where the key starts (map entries only). */
  readonly key?: Position;
  /** The value is a map or a list. */
  readonly collection?: boolean;
}

/** Positions of every key and value in one file, by path. */
export class SourceMap {
  private readonly entries = new Map<string, NodeLocation>();
  constructor(readonly file: string) {}

  static keyOf(path: Path): string {
    return JSON.stringify(path);
  }

  set(path: Path, location: NodeLocation): void {
    this.entries.set(SourceMap.keyOf(path), location);
  }

  get(path: Path): NodeLocation | undefined {
    return this.entries.get(SourceMap.keyOf(path));
  }

  /** The location of `path`, or of its nearest recorded ancestor. */
  nearest(path: Path): NodeLocation | undefined {
    for (let length = path.length; length >= 0; length--) {
      const found = this.get(path.slice(0, length));
      if (found) return found;
    }
    return undefined;
  }
}

export interface ParsedYaml {
  readonly value: YamlValue;
  readonly sourceMap: SourceMap;
}

const PARSE_OPTIONS = {
  version: "1.1",
  merge: true,
  uniqueKeys: false,
  prettyErrors: false,
  strict: false,
} as const;

/** Parses one YAML document the way Psych would, with positions. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // Psych's load returns the first document of a stream and never reads past it.
  const document = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter })[0];
  if (document === undefined) return { value: null, sourceMap: new SourceMap(file) };
  // Psych refuses `%YAML 2.0` ("incompatible YAML document"); the parser only warns.
  const version = document.warnings.find((warning) => warning.message.startsWith("Unsupported YAML version"));
  if (version !== undefined) {
    const position = version.linePos?.[0] ?? lineCounter.linePos(version.pos[0]);
    throw new ConfigError([{ path: "", message: "YAML: a %YAML directive for a version other than 1.x", file, line: position.line, column: position.col }]);
  }
  if (document.errors.length > 0) {
    // The parser recurses: a stack overflow is nesting deeper than any limit would allow.
    const overflow = document.errors.find((error) => error.message.startsWith("Maximum call stack size exceeded"));
    if (overflow !== undefined) {
      // Where the stack ran out depends on the build's frame sizes: name the bracket past the limit.
      const deepest = flowBracketPastLimit(text);
      const position = deepest === undefined ? (overflow.linePos?.[0] ?? lineCounter.linePos(overflow.pos[0])) : lineCounter.linePos(deepest);
      throw new ConfigError([{ path: "", message: tooDeepMessage(), file, line: position?.line ?? 0, column: position?.col ?? 0 }]);
    }
    throw new ConfigError([yamlSyntaxIssue(text, document.errors, lineCounter, file)]);
  }
  const sourceMap = new SourceMap(file);
  const converter = new Converter(document, lineCounter, sourceMap);
  const value = document.contents === null ? null : converter.convert(document.contents, []);
  return { value, sourceMap };
}

/** The offset of the first `[` or `{` nested deeper than the limit (quotes and comments skipped), if any. */
function flowBracketPastLimit(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let offset = 0; offset < text.length; offset++) {
    const char = text[offset];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    else if (char === "#" && (offset === 0 || /\s/.test(text[offset - 1] as string))) {
      const end = text.indexOf("\n", offset);
      if (end === -1) return undefined;
      offset = end;
    } else if (char === "[" || char === "{") {
      depth += 1;
      if (depth > LIMITS.yamlDepth) return offset;
    } else if ((char === "]" || char === "}") && depth > 0) depth -= 1;
  }
  return undefined;
}

function tooDeepMessage(): string {
  return `YAML: maps and lists nested more than ${LIMITS.yamlDepth} levels deep`;
}

class Converter {
  /** Values produced so far, aliases expanded: the budget against alias bombs. */
  private values = 0;
  /** The outermost alias being expanded, named when the budget runs out. */
  private expanding: string | undefined;
  /** Aliased values being expanded: one met again inside itself would never end. */
  private readonly inside = new Set<Node>();
  /** Each alias's target: the parser finds one by walking the whole document. */
  private readonly targets = new Map<Alias, Node>();

  constructor(
    private readonly document: Document,
    private readonly lines: LineCounter,
    private readonly sourceMap: SourceMap,
  ) {}

  private position(node: { range?: [number, number, number] | null } | null | undefined): Position {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 0, column: 0 };
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  private fail(node: Node, message: string): ConfigError {
    const { line, column } = this.position(node);
    return new ConfigError([{ path: "", message, file: this.sourceMap.file, line, column }]);
  }

  private resolveAlias(alias: Alias): Node {
    const known = this.targets.get(alias);
    if (known !== undefined) return known;
    const target = alias.resolve(this.document) as Node | undefined;
    if (target === undefined) throw this.fail(alias, `YAML: unknown alias *${alias.source}`);
    this.targets.set(alias, target);
    return target;
  }

  /** Counts one value against the limits (Psych shares aliased values; here they are copies). */
  private count(node: Node, path: Path): void {
    if (path.length > LIMITS.yamlDepth) throw this.fail(node, tooDeepMessage());
    if (++this.values <= LIMITS.yamlValues) return;
    throw this.fail(
      node,
      this.expanding === undefined
        ? `YAML: more than ${LIMITS.yamlValues} values in one document`
        : `YAML: alias *${this.expanding} expands the document to more than ${LIMITS.yamlValues} values (aliases nested in aliases, an "alias bomb"?)`,
    );
  }

  convert(node: Node, path: Path, keyNode?: Node | null): YamlValue {
    this.count(node, path);
    const target = isAlias(node) ? this.resolveAlias(node) : node;
    const location: NodeLocation = {
      file: this.sourceMap.file,
      value: this.position(node),
      ...(keyNode ? { key: this.position(keyNode) } : {}),
      ...(target && (isMap(target) || isSeq(target)) ? { collection: true } : {}),
    };
    this.sourceMap.set(path, location);
    return this.valueOf(node, path);
  }

  private valueOf(node: Node, path: Path): YamlValue {
    if (isAlias(node)) {
      const target = this.resolveAlias(node);
      if (this.inside.has(target)) throw this.fail(node, `YAML: alias *${node.source} refers to a value that contains it`);
      const outermost = this.expanding === undefined;
      if (outermost) this.expanding = node.source;
      this.inside.add(target);
      try {
        return this.valueOf(target, path);
      } finally {
        this.inside.delete(target);
        if (outermost) this.expanding = undefined;
      }
    }
    if (isScalar(node)) return scalarValue(node);
    if (isSeq(node)) {
      return node.items.map((item, index) => {
        const child = [...path, index];
        return item === null || item === undefined ? null : this.convert(item as Node, child);
      });
    }
    if (isMap(node)) return this.mapValue(node, path);
    return null;
  }

  private mapValue(node: YAMLMap, path: Path): YamlValue {
    const result: Record<string, YamlValue> = {};
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const pair = item as Pair<Node | null, Node | null>;
      if (isMergeKey(pair.key)) {
        this.merge(result, pair.value, path);
        continue;
      }
      const key = keyString(pair.key, this.document);
      const childPath = [...path, key];
      const value = pair.value === null ? this.nullAt(childPath, pair.key) : this.convert(pair.value, childPath, pair.key);
      setKey(result, key, value);
    }
    return result;
  }

  private nullAt(path: Path, keyNode: Node | null): null {
    const position = this.position(keyNode);
    this.sourceMap.set(path, { file: this.sourceMap.file, value: position, key: position });
    return null;
  }

  /** Psych's `<<`: merged entries overwrite keys already set; later keys overwrite them. */
  private merge(target: Record<string, YamlValue>, source: Node | null, path: Path): void {
    const resolved = source !== null && isAlias(source) ? this.resolveAlias(source) : source;
    if (resolved && isMap(resolved)) {
      this.assignFrom(target, resolved, path);
    } else if (resolved && isSeq(resolved)) {
      // Earlier maps in the list win, so apply them last.
      const maps = resolved.items.map((item) => (isAlias(item) ? this.resolveAlias(item) : (item as Node | undefined)));
      for (const map of [...maps].reverse()) if (map && isMap(map)) this.assignFrom(target, map, path);
    }
  }

  private assignFrom(target: Record<string, YamlValue>, map: YAMLMap, path: Path): void {
    if (this.inside.has(map)) throw this.fail(map, "YAML: merge key << refers to a map that contains it");
    this.inside.add(map);
    let merged: YamlValue;
    try {
      merged = this.mapValue(map, path);
    } finally {
      this.inside.delete(map);
    }
    if (merged === null || typeof merged !== "object" || Array.isArray(merged)) return;
    for (const [key, value] of Object.entries(merged)) setKey(target, key, value);
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.value === "<<" || typeof key.value === "symbol") && key.type === "PLAIN";
}

/** Sets a key without letting `__proto__` reach the prototype. */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function keyString(key: Node | null, document: Document): string {
  if (key === null) return "";
  const node = isAlias(key) ? (key.resolve(document) as Node | undefined) : key;
  if (node && isScalar(node)) return rubyToS(scalarValue(node));
  return node ? complexKey(node, document) : "";
}

/** A list or map used as a key, as short JSON (no setting has one; messages name it). */
function complexKey(node: Node, document: Document): string {
  let text: string;
  try {
    text = JSON.stringify(node.toJS(document, { maxAliasCount: 10 })) ?? "";
  } catch {
    text = isMap(node) ? "{…}" : "[…]";
  }
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

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

function scalarValue(node: Scalar): YamlValue {
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

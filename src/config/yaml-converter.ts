// Turns the `yaml` package's document into plain values as Psych loads them: merge keys in
// Psych's order, repeated keys with the last one winning, aliases expanded within the limits.
// Records where every value sits in the source map as it goes.
import { isAlias, isMap, isPair, isScalar, isSeq } from "yaml";
import type { Alias, Document, LineCounter, Node, Pair, YAMLMap } from "yaml";
import { ConfigError } from "./errors.js";
import { LIMITS } from "./limits.js";
import { tooDeepMessage } from "./yaml-depth.js";
import { rubyToS, scalarValue } from "./yaml-scalars.js";
import type { NodeLocation, Path, Position, SourceMap, YamlValue } from "./yaml-source-map.js";

export class Converter {
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

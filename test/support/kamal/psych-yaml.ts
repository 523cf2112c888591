// Reads `kamal config`/`berth config` output into plain data the way Ruby's Psych would, so the
// two can be compared by keys and values whatever quoting style each emitter chose: a plain
// `:name` is a Ruby Symbol (kept apart from the String ":name"), other plain scalars are typed
// with Psych's rules, and maps keep their key order (pairs, so comparisons see the order).
// One normalisation: Kamal's ssh_options hold the Net::SSH proxy object it builds from
// `ssh.proxy`/`ssh.proxy_command`, which to_yaml dumps as `!ruby/object` with its instance
// variables; it reads here as the jump host or command it carries, which Berth prints.
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
import { psychScalar } from "../../../src/config/yaml-scalars.js";

export type Data = null | string | number | boolean | { readonly symbol: string } | readonly Data[] | { readonly pairs: readonly (readonly [Data, Data])[] };

const PROXY_OBJECTS: Readonly<Record<string, string>> = {
  "!ruby/object:Net::SSH::Proxy::Jump": "jump_proxies",
  "!ruby/object:Net::SSH::Proxy::Command": "command_line_template",
};

export function readPsychYaml(text: string): Data {
  const document = parseDocument(text, { version: "1.1", uniqueKeys: false });
  if (document.errors.length > 0) throw new Error(`not YAML: ${document.errors[0]!.message}\n${text}`);
  return document.contents === null ? null : toData(document.contents as Node, document);
}

function toData(node: Node, document: Document): Data {
  if (isAlias(node)) return toData(node.resolve(document) as Node, document);
  if (isSeq(node)) return node.items.map((item) => (item === null ? null : toData(item as Node, document)));
  if (isMap(node)) {
    const proxy = PROXY_OBJECTS[node.tag ?? ""];
    if (proxy !== undefined) return toData(node.get(proxy, true) as Node, document);
    return {
      pairs: node.items.map((pair) => [pair.key === null ? null : toData(pair.key as Node, document), pair.value === null ? null : toData(pair.value as Node, document)] as const),
    };
  }
  if (isScalar(node)) {
    if (node.type !== "PLAIN") return String(node.value);
    const source = node.source ?? String(node.value ?? "");
    if (/^:[^\s]/.test(source)) return { symbol: source.slice(1) };
    return psychScalar(source) as Data;
  }
  throw new Error(`unexpected YAML node in ${String(node)}`);
}

/** One `path = value` line per leaf (map keys in order), for showing differences briefly. */
export function leaves(data: Data, path = ""): string[] {
  if (Array.isArray(data)) return data.length === 0 ? [`${path} = []`] : data.flatMap((item, index) => leaves(item, `${path}/${index}`));
  if (data !== null && typeof data === "object" && "pairs" in data) {
    if (data.pairs.length === 0) return [`${path} = {}`];
    return data.pairs.flatMap(([key, value]) => leaves(value, `${path}/${keyName(key)}`));
  }
  return [`${path} = ${JSON.stringify(data)}`];
}

/** What differs between two documents: leaves only one has, then a note if only the order differs. */
export function differences(expected: Data, actual: Data): string[] {
  const want = leaves(expected);
  const got = leaves(actual);
  const lines = [...want.filter((leaf) => !got.includes(leaf)).map((leaf) => `- ${leaf}`), ...got.filter((leaf) => !want.includes(leaf)).map((leaf) => `+ ${leaf}`)];
  if (lines.length === 0 && JSON.stringify(want) !== JSON.stringify(got)) lines.push("(same keys and values, in another order)");
  return lines;
}

function keyName(key: Data): string {
  if (typeof key === "string") return key;
  if (key !== null && typeof key === "object" && "symbol" in key) return `:${key.symbol}`;
  return JSON.stringify(key);
}

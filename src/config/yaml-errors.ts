// YAML syntax errors reported where the mistake is, as Psych (Kamal's parser) reports them: an
// unclosed quote or bracket at the line and column where it opens, not where the file ends; a
// badly indented line at that line, naming the mapping it fails to line up with. The `yaml`
// package finds the errors; its concrete syntax tree tells where each one starts. Only the first
// error is reported: those after an unclosed quote or bracket are its consequences.
import { Parser } from "yaml";
import type { LineCounter, YAMLError } from "yaml";
import type { ConfigIssue } from "./errors.js";

interface Opening {
  readonly offset: number;
  readonly what: string;
  readonly close: string;
}

interface BlockMap {
  readonly offset: number;
  readonly keys: readonly number[];
}

interface Syntax {
  /** Quoted scalars and flow collections never closed, in the order they open. */
  readonly unclosed: Opening[];
  readonly maps: BlockMap[];
}

export function yamlSyntaxIssue(text: string, errors: readonly YAMLError[], lines: LineCounter, file: string): ConfigIssue {
  const error = errors[0]!;
  const syntax = scan(text);
  const at = (offset: number, message: string): ConfigIssue => {
    const { line, col } = lines.linePos(offset);
    return { path: "", message: `YAML syntax error: ${message}`, file, line, column: col };
  };
  const firstLine = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");

  if (error.code === "MISSING_CHAR" && /quote/.test(firstLine)) {
    const quote = syntax.unclosed.find((opening) => opening.close === '"' || opening.close === "'");
    if (quote) return at(quote.offset, `the ${quote.what} that starts here is never closed (no ${quote.close} ends it)`);
  }
  if (/^Flow (sequence|map)/.test(firstLine)) {
    const collection = syntax.unclosed.filter((opening) => opening.offset < error.pos[0] && (opening.close === "]" || opening.close === "}")).pop();
    if (collection) return at(collection.offset, `the ${collection.what} that starts here is never closed (a ${collection.close} is missing)`);
  }
  if (error.code === "BAD_INDENT" && /same column/.test(firstLine)) {
    const keyOffset = firstNonBlank(text, error.pos[0]);
    const map = syntax.maps.find((candidate) => candidate.keys.includes(keyOffset) && candidate.keys[0] !== keyOffset);
    if (map) {
      const mine = lines.linePos(keyOffset);
      const first = lines.linePos(map.offset);
      return at(keyOffset, `bad indentation: this key is at column ${mine.col}, but the keys of its mapping (from line ${first.line}) are at column ${first.col}`);
    }
    return at(keyOffset, "bad indentation: this key does not line up with the keys above it");
  }
  if (error.code === "MULTILINE_IMPLICIT_KEY" || error.code === "BLOCK_AS_IMPLICIT_KEY") {
    const implicit = errors.find((candidate) => candidate.code === "MULTILINE_IMPLICIT_KEY");
    if (implicit) {
      const offset = firstNonBlank(text, lineStart(text, implicit.pos[1] - 1));
      const above = previousLine(text, offset);
      const indent = offset - lineStart(text, offset);
      const aboveLine = lines.linePos(above.offset).line;
      if (indent > above.indent) {
        return at(offset, `bad indentation: this line is indented more than line ${aboveLine}, so it reads as more of that line's value, where a key can't start`);
      }
      const owner = previousLine(text, offset, indent);
      return at(
        offset,
        `bad indentation: this line is indented ${indent} spaces, which lines up neither with line ${aboveLine} (${above.indent}) nor with the key on line ${lines.linePos(owner.offset).line} (${owner.indent})`,
      );
    }
    return at(error.pos[0], "a mapping can't start inside a value on the same line (quote the value if it holds \": \")");
  }
  const { line, col } = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
  return { path: "", message: `YAML syntax error: ${firstLine}`, file, line, column: col };
}

/** Walks the concrete syntax tree for unclosed openings and block mappings' key offsets. */
function scan(text: string): Syntax {
  const syntax: Syntax = { unclosed: [], maps: [] };
  // An explicit stack, not recursion: a file of ten thousand `[` must not overflow it.
  const stack: unknown[] = [...new Parser().parse(text)];
  while (stack.length > 0) {
    const token = stack.pop();
    if (token === null || typeof token !== "object") continue;
    const node = token as Record<string, unknown> & { type?: string; offset?: number; source?: string };
    if (node.type === "double-quoted-scalar" && !closedDouble(node.source ?? "")) {
      syntax.unclosed.push({ offset: node.offset!, what: "double-quoted string", close: '"' });
    } else if (node.type === "single-quoted-scalar" && !closedSingle(node.source ?? "")) {
      syntax.unclosed.push({ offset: node.offset!, what: "single-quoted string", close: "'" });
    } else if (node.type === "flow-collection") {
      const start = node.start as { source: string; offset: number };
      const close = start.source === "[" ? "]" : "}";
      const ends = (node.end as { source?: string }[] | undefined) ?? [];
      if (!ends.some((end) => end.source === close)) syntax.unclosed.push({ offset: start.offset, what: start.source, close });
    } else if (node.type === "block-map") {
      const items = (node.items as { key?: { offset?: number } | null; start?: { offset: number }[] }[]) ?? [];
      const keys = items.map((item) => item.key?.offset ?? item.start?.[0]?.offset).filter((offset): offset is number => offset !== undefined);
      syntax.maps.push({ offset: keys[0] ?? node.offset!, keys });
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) for (const item of value) stack.push(item);
      else if (value !== null && typeof value === "object") stack.push(value);
    }
  }
  syntax.unclosed.sort((a, b) => a.offset - b.offset);
  return syntax;
}

function closedDouble(source: string): boolean {
  if (source.length < 2 || !source.endsWith('"')) return false;
  let backslashes = 0;
  for (let i = source.length - 2; i > 0 && source[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 0;
}

function closedSingle(source: string): boolean {
  let quotes = 0;
  for (let i = source.length - 1; i > 0 && source[i] === "'"; i--) quotes++;
  // `''` is an escaped quote: an odd run of quotes at the end holds the closing one.
  return source.length >= 2 && quotes % 2 === 1;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

function firstNonBlank(text: string, offset: number): number {
  let i = lineStart(text, offset);
  while (text[i] === " " || text[i] === "\t") i++;
  return i;
}

/** The closest line above with content (not a comment), indented less than `below` if given. */
function previousLine(text: string, offset: number, below = Number.POSITIVE_INFINITY): { offset: number; indent: number } {
  let start = lineStart(text, offset);
  while (start > 0) {
    start = lineStart(text, start - 1);
    const end = text.indexOf("\n", start);
    const content = text.slice(start, end === -1 ? undefined : end);
    const trimmed = content.trim();
    const indent = content.length - content.trimStart().length;
    if (trimmed !== "" && !trimmed.startsWith("#") && indent < below) return { offset: start, indent };
  }
  return { offset: 0, indent: 0 };
}

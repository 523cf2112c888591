// YAML as Kamal reads it: YAML 1.1 through Ruby's Psych (`YAML.unsafe_load`). The `yaml`
// package parses the text; plain scalars are then typed with Psych's rules (which differ
// from the package's YAML 1.1 schema: `y`/`n` stay strings, `:sym` is a Ruby symbol, keys may
// repeat with the last one winning) and merge keys follow Psych's order. While converting we
// record where every value sits, so validation errors can name a line and column. This module
// is the door: typing is in yaml-scalars.ts, conversion in yaml-converter.ts.
import { LineCounter, parseAllDocuments } from "yaml";
import { ConfigError } from "./errors.js";
import { Converter } from "./yaml-converter.js";
import { flowBracketPastLimit, tooDeepMessage } from "./yaml-depth.js";
import { yamlSyntaxIssue } from "./yaml-errors.js";
import { SourceMap, type ParsedYaml } from "./yaml-source-map.js";

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

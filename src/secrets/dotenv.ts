// The `.kamal/secrets*` format: Ruby dotenv 3.x's grammar, as Kamal calls it
// (`Dotenv.parse(file, overwrite: true)`):
// - lines `KEY=value`, `export KEY=value` or `KEY: value`; keys are `[A-Za-z0-9_.]+`;
// - 'single quotes' are literal; "double quotes" may span lines, turn `\n`/`\r` into line breaks
//   and drop the backslash of any other escape; unquoted values end at `#` (a comment);
// - unquoted and double-quoted values get `$VAR`/`${VAR}` and `$(command)` substitution
//   (interpolate.ts); a variable is looked up among the keys defined earlier in the same file
//   first (overwrite: true), then in the environment, and is "" when unset;
// - lines that match nothing are skipped, as dotenv does (reported in `ignoredLines`);
//   `export KEY` for a KEY not defined above is an error.

import { BerthError } from "../util/errors.js";
import { expandVariables, interpolate } from "./interpolate.js";
import { environmentValue, type Environment } from "./runner.js";

export interface CommandSubstitution {
  /** The text between `$(` and `)`, after dotenv's unescaping, before any substitution. */
  readonly command: string;
  readonly file: string;
  readonly key: string;
  /** Keys defined earlier in this file (they win over the environment). */
  readonly variables: Readonly<Record<string, string>>;
  /** dotenv's variable substitution with this file's precedence, for in-process commands. */
  readonly expandVariables: (text: string) => string;
}

export interface DotenvOptions {
  /** Named in errors. */
  readonly file: string;
  /** Where `$VAR` looks after the file's own keys. */
  readonly env: Environment;
  /** Runs `$(…)`; without it a command substitution is an error. */
  readonly substituteCommand?: (substitution: CommandSubstitution) => string;
}

export interface DotenvResult {
  /** Null-prototype record: keys like `__proto__` are plain keys. */
  readonly values: Record<string, string>;
  /** 1-based numbers of non-blank, non-comment lines that were not `KEY=value` (dotenv skips them). */
  readonly ignoredLines: readonly number[];
}

// dotenv's LINE regex with Ruby's anchors and classes spelled out for JavaScript:
// `^`/`\A` → after "\n" or at the start; `$`/`\z` → before "\n" or at the end; `\s` and `\w` ASCII.
const S = "[ \\t\\n\\v\\f\\r]";
const LINE = new RegExp(
  [
    "(?:(?<=\\n)|(?<![\\s\\S]))", // beginning of line
    `${S}*`,
    `(?<export>export${S}+)?`,
    "(?<key>[A-Za-z0-9_.]+)",
    "(?:",
    `(?:${S}*=${S}*?|:${S}+?)`, // separator
    "(?<value>",
    `${S}*'(?:\\\\'|[^'])*'`, // single quoted
    `|${S}*"(?:\\\\"|[^"])*"`, // double quoted
    "|[^#\\n]+", // unquoted
    ")?",
    ")?",
    `${S}*`,
    "(?:#[^\\n]*)?", // comment
    "(?=\\n|(?![\\s\\S]))", // end of line
  ].join(""),
  "g",
);
const QUOTED = /^(['"])([\s\S]*)\1$/;
const RUBY_STRIP = /^[\0\t\n\v\f\r ]+|[\0\t\n\v\f\r ]+$/g;
const UNESCAPE = /\\([^$])/g;
const BLANK_OR_COMMENT = /^[ \t\v\f\r]*(?:#.*)?$/;

export function parseDotenv(text: string, options: DotenvOptions): DotenvResult {
  const source = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  const covered: Array<[number, number]> = [];

  for (const match of source.matchAll(LINE)) {
    const groups = match.groups!;
    const key = groups.key!;
    const rawValue = groups.value;
    covered.push([match.index, match.index + match[0].length]);
    if (groups.export !== undefined && rawValue === undefined) {
      if (!(key in values)) {
        throw new BerthError(
          `Line ${JSON.stringify(match[0].trim())} in ${options.file} exports ${key}, which is not set above it`,
          "Berth::ConfigurationError",
        );
      }
      continue;
    }
    values[key] = parseValue(rawValue ?? "", key, values, options);
  }

  return { values, ignoredLines: uncoveredLines(source, covered) };
}

function parseValue(raw: string, key: string, values: Record<string, string>, options: DotenvOptions): string {
  let value = raw.replace(RUBY_STRIP, "");
  const quoted = QUOTED.exec(value);
  const quote = quoted?.[1];
  if (quoted !== null) value = quoted[2]!;
  if (quote === "'") return value;
  if (quote === '"') value = expandNewlines(value, values, options.env);
  value = value.replace(UNESCAPE, "$1");

  const lookup = (name: string): string => (name in values ? values[name]! : environmentValue(options.env, name));
  return interpolate(value, {
    lookup,
    runCommand: (command) => {
      if (options.substituteCommand === undefined) {
        throw new BerthError(`${key} in ${options.file} uses $(…), which is not allowed here`, "Berth::ConfigurationError");
      }
      return options.substituteCommand({
        command,
        file: options.file,
        key,
        variables: { ...values },
        expandVariables: (text) => expandVariables(text, lookup),
      });
    },
  });
}

// dotenv 3 turns `\n` into backslash + newline, and the unescape step then drops the backslash;
// the "legacy" mode (DOTENV_LINEBREAK_MODE=legacy) turns it straight into a newline. They differ
// only for `\\n`.
function expandNewlines(value: string, values: Record<string, string>, env: Environment): string {
  const mode = values.DOTENV_LINEBREAK_MODE ?? environmentValue(env, "DOTENV_LINEBREAK_MODE");
  if (mode === "legacy") return value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
  return value.replace(/\\n/g, "\\\n").replace(/\\r/g, "\\\r");
}

function uncoveredLines(source: string, covered: ReadonlyArray<[number, number]>): number[] {
  const ignored: number[] = [];
  let offset = 0;
  let coverIndex = 0;
  source.split("\n").forEach((line, index) => {
    const start = offset;
    offset += line.length + 1;
    if (BLANK_OR_COMMENT.test(line)) return;
    while (coverIndex < covered.length && covered[coverIndex]![1] < start) coverIndex++;
    const cover = covered[coverIndex];
    const isCovered = cover !== undefined && cover[0] <= start + line.length && cover[1] > start;
    if (!isCovered) ignored.push(index + 1);
  });
  return ignored;
}

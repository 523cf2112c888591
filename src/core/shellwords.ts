// Ruby's Shellwords, which Kamal uses on both sides of the `$(kamal secrets …)` idiom: `fetch`
// prints `JSON.dump(results).shellescape` and the inlined command line is `shellsplit`. Berth must
// produce and accept exactly the same text so files written for Kamal keep working.

import { BerthError } from "../util/errors.js";

// Ruby's \s is ASCII-only; JavaScript's also matches Unicode spaces, so spell it out.
const SPACE = " \\t\\r\\n\\f\\v";
// Ruby's pattern ends in `(\s|\z)?`; JavaScript drops an optional group that matches empty, so
// the separator is checked by hand after each match.
const WORD_PATTERN = new RegExp(
  `[${SPACE}]*(?:([^\\0${SPACE}\\\\'"]+)|'([^\\0']*)'|"((?:[^\\0"\\\\]|\\\\[^\\0])*)"|(\\\\[^\\0]?)|([^${SPACE}]))`,
  "y",
);
const IS_SPACE = new RegExp(`^[${SPACE}]$`);
const DOUBLE_QUOTED_ESCAPE = /\\([$`"\\\n])/g;
const BARE_ESCAPE = /\\([^\n])/g;

/** Ruby's `String#shellsplit`: POSIX-style words; an unmatched quote is an error. */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let field = "";
  WORD_PATTERN.lastIndex = 0;
  while (WORD_PATTERN.lastIndex < line.length) {
    const match = WORD_PATTERN.exec(line);
    if (match === null) break; // only trailing blanks are left
    const [, word, single, double, escape, garbage] = match;
    if (garbage !== undefined) {
      const problem = garbage === "\0" ? "NUL character" : "unmatched quote";
      const at = match.index + match[0].length - 1;
      throw new BerthError(`Cannot split command line: ${problem} at character ${at + 1}`, "Berth::ConfigurationError");
    }
    if (word !== undefined) field += word;
    else if (single !== undefined) field += single;
    else if (double !== undefined) field += double.replace(DOUBLE_QUOTED_ESCAPE, "$1");
    else if (escape !== undefined) field += escape.replace(BARE_ESCAPE, "$1");
    const next = line[WORD_PATTERN.lastIndex];
    if (next !== undefined && IS_SPACE.test(next)) WORD_PATTERN.lastIndex++;
    if (next === undefined || IS_SPACE.test(next)) {
      words.push(field);
      field = "";
    }
  }
  return words;
}

const UNSAFE = /[^A-Za-z0-9_\-.,:+/@\n]/gu;

/** Ruby's `String#shellescape`: backslash before every unsafe character, `'\n'` for newlines. */
export function shellEscape(text: string): string {
  if (text === "") return "''";
  return text.replace(UNSAFE, "\\$&").replace(/\n/g, "'\n'");
}

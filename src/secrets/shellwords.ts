// Ruby's Shellwords, which Kamal uses on both sides of the `$(kamal secrets …)` idiom: `fetch`
// prints `JSON.dump(results).shellescape` and the inlined command line is `shellsplit`. Berth must
// produce and accept exactly the same text so files written for Kamal keep working.

import { BerthError } from "../util/errors.js";

// Ruby's \s is ASCII-only; JavaScript's also matches Unicode spaces, so spell it out.
const SPACE = " \\t\\r\\n\\f\\v";
const WORD_PATTERN = new RegExp(
  `[${SPACE}]*(?:([^\\0${SPACE}\\\\'"]+)|'([^\\0']*)'|"((?:[^\\0"\\\\]|\\\\[^\\0])*)"|(\\\\[^\\0]?)|([^${SPACE}]))([${SPACE}]|(?![\\s\\S]))?`,
  "y",
);
const DOUBLE_QUOTED_ESCAPE = /\\([$`"\\\n])/g;
const BARE_ESCAPE = /\\([^\n])/g;

/** Ruby's `String#shellsplit`: POSIX-style words; an unmatched quote is an error. */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let field = "";
  WORD_PATTERN.lastIndex = 0;
  while (WORD_PATTERN.lastIndex < line.length) {
    const start = WORD_PATTERN.lastIndex;
    const match = WORD_PATTERN.exec(line);
    if (match === null) break; // only trailing blanks are left
    const [, word, single, double, escape, garbage, separator] = match;
    if (garbage !== undefined) {
      const problem = garbage === "\0" ? "NUL character" : "unmatched quote";
      throw new BerthError(`Cannot split command line: ${problem} at ${start}`, "Berth::ConfigurationError");
    }
    if (word !== undefined) field += word;
    else if (single !== undefined) field += single;
    else if (double !== undefined) field += double.replace(DOUBLE_QUOTED_ESCAPE, "$1");
    else if (escape !== undefined) field += escape.replace(BARE_ESCAPE, "$1");
    if (separator !== undefined) {
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

// `$VAR`, `${VAR}` and `$(command)` in dotenv values, with Ruby dotenv's and Kamal's grammar:
// - a variable is `$`, an optional `{`, letters/digits/underscores (any case), an optional `}`;
//   `\$VAR` is the literal `$VAR`; a `$` without a name stays as it is;
// - a command is `$(` … `)` with balanced parentheses, where a backslash escapes the next
//   character (Kamal's rule); `\$(…)` is left as the literal `$(…)` (variables inside it are
//   still expanded, as dotenv's second pass does).
// Unlike dotenv (which runs a command pass and then a variable pass over the result), this is a
// single left-to-right pass: a command's output and a variable's value are inserted literally,
// never re-scanned. So a secret containing `$` survives (dotenv turns `pa$word` into `pa`, see
// basecamp/kamal#1911) and a value containing `$(…)` is never executed (bkeepers/dotenv#507).

export interface InterpolationContext {
  /** The value of a variable (earlier in the file, then the environment), or "". */
  lookup(name: string): string;
  /** Runs the text between `$(` and `)` and returns what replaces the whole `$(…)`. */
  runCommand(command: string): string;
}

/** Variables and commands, as dotenv applies them to unquoted and double-quoted values. */
export function interpolate(value: string, context: InterpolationContext): string {
  return scan(value, context.lookup, context.runCommand);
}

/** Variables only (what Kamal applies to a command's text before running it in-process). */
export function expandVariables(text: string, lookup: (name: string) => string): string {
  return scan(text, lookup, null);
}

function scan(text: string, lookup: (name: string) => string, runCommand: ((command: string) => string) | null): string {
  let out = "";
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char !== "$" && char !== "\\") {
      const next = nextSpecial(text, index);
      out += text.slice(index, next);
      index = next;
      continue;
    }
    const escaped = char === "\\" && text[index + 1] === "$";
    const dollar = escaped ? index + 1 : index;
    if (text[dollar] !== "$") {
      out += char;
      index++;
      continue;
    }
    if (runCommand !== null && text[dollar + 1] === "(") {
      const end = commandEnd(text, dollar + 1);
      if (end !== -1) {
        const inner = text.slice(dollar + 2, end - 1);
        out += escaped ? `$(${expandVariables(inner, lookup)})` : runCommand(inner);
        index = end;
        continue;
      }
    }
    const variable = matchVariable(text, dollar);
    if (variable === null) {
      out += text.slice(index, dollar + 1);
      index = dollar + 1;
    } else if (escaped) {
      out += text.slice(dollar, variable.end);
      index = variable.end;
    } else {
      out += variable.name === "" ? text.slice(dollar, variable.end) : lookup(variable.name);
      index = variable.end;
    }
  }
  return out;
}

function nextSpecial(text: string, from: number): number {
  for (let i = from; i < text.length; i++) if (text[i] === "$" || text[i] === "\\") return i;
  return text.length;
}

const NAME_CHAR = /[A-Za-z0-9_]/;

/** dotenv's `\$(?!\()\{?([A-Z0-9_]+)?\}?` (case-insensitive) at `dollar`. */
function matchVariable(text: string, dollar: number): { name: string; end: number } | null {
  if (text[dollar + 1] === "(") return null;
  let cursor = dollar + 1;
  if (text[cursor] === "{") cursor++;
  const nameStart = cursor;
  while (cursor < text.length && NAME_CHAR.test(text[cursor]!)) cursor++;
  const name = text.slice(nameStart, cursor);
  if (text[cursor] === "}") cursor++;
  return { name, end: cursor };
}

/**
 * Kamal's `\((?:\\.|[^()\\]|\g<cmd>)+\)` starting at the `(` at `open`: the index just after the
 * matching `)`, or -1. Each character admits only one alternative, so a depth count is exact.
 */
function commandEnd(text: string, open: number): number {
  let depth = 0;
  let index = open;
  let previousWasOpen = false;
  while (index < text.length) {
    const char = text[index];
    if (char === "\\") {
      const next = text[index + 1];
      if (next === undefined || next === "\n") return -1;
      index += 2;
      previousWasOpen = false;
      continue;
    }
    if (char === "(") {
      depth++;
      previousWasOpen = true;
      index++;
      continue;
    }
    if (char === ")") {
      if (previousWasOpen) return -1; // `()` is empty: the `+` needs at least one element
      depth--;
      index++;
      if (depth === 0) return index;
      continue;
    }
    previousWasOpen = false;
    index++;
  }
  return -1;
}

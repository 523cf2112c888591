// Ruby's String methods whose rules differ from JavaScript's: strip (NUL is whitespace), to_i
// (the leading integer, else 0) and split (awk-style on " ", trailing empty fields dropped).

const WHITESPACE = "\0\t\n\v\f\r ";

/** Ruby's strip/lstrip/rstrip: whitespace and NUL. */
export function trimmed(text: string, left: boolean, right: boolean): string {
  let start = 0;
  let end = text.length;
  if (left) while (start < end && WHITESPACE.includes(text[start]!)) start++;
  if (right) while (end > start && WHITESPACE.includes(text[end - 1]!)) end--;
  return text.slice(start, end);
}

/** Ruby's String#to_i: the leading integer, underscores between digits allowed, else 0. */
export function toInteger(text: string): number {
  const match = /^[\t\n\v\f\r ]*([-+]?)([0-9]+(?:_[0-9]+)*)/.exec(text);
  if (!match) return 0;
  const value = Number(match[2]!.replace(/_/g, ""));
  return match[1] === "-" ? -value : value;
}

/** Ruby's String#split with a string separator (or none: runs of whitespace) and a limit. */
export function split(text: string, separator: string, limit: number): string[] {
  let fields: string[];
  if (separator === " ") {
    const trimmedText = text.replace(/^[\t\n\v\f\r ]+/, "");
    fields = trimmedText === "" ? [] : splitLimited(trimmedText, /[\t\n\v\f\r ]+/, limit);
  } else if (separator === "") {
    fields = [...text];
    if (limit > 0 && fields.length > limit) fields = [...fields.slice(0, limit - 1), fields.slice(limit - 1).join("")];
  } else {
    fields = text === "" ? [] : splitLimited(text, separator, limit);
  }
  if (limit === 0) while (fields.length > 0 && fields[fields.length - 1] === "") fields.pop();
  return fields;
}

function splitLimited(text: string, separator: string | RegExp, limit: number): string[] {
  if (limit <= 0) return text.split(separator);
  const fields: string[] = [];
  let rest = text;
  while (fields.length < limit - 1) {
    const match = typeof separator === "string" ? indexMatch(rest, separator) : separator.exec(rest);
    if (!match) break;
    fields.push(rest.slice(0, match.index));
    rest = rest.slice(match.index + match[0].length);
  }
  fields.push(rest);
  return fields;
}

function indexMatch(text: string, separator: string): { index: number; 0: string } | null {
  const index = text.indexOf(separator);
  return index === -1 ? null : { index, 0: separator };
}

// Splits an ERB template into text and tags the way Ruby's ERB does with trim_mode "-" (what
// Kamal uses): `<%=` output, `<%#` comment, `<%` and `<%-` code (`<%-` at the start of a line
// also drops the indentation before it), `-%>` drops the newline after it, `<%%` and `%%>` are
// literal `<%` and `%>`. Tags are not parsed here: the lexer turns the pieces into tokens.
import { syntaxError } from "./failure.js";

/** One piece of the template, in order. */
export type Piece =
  | { readonly kind: "text"; readonly text: string; readonly offset: number }
  | { readonly kind: "output" | "code"; readonly code: string; readonly offset: number; readonly tagOffset: number }
  /** The newline a `-%>` swallowed: it still ends a line of the Ruby code ERB compiles to. */
  | { readonly kind: "newline"; readonly offset: number };

export class UnterminatedTag extends Error {
  constructor(readonly offset: number) {
    super("unterminated ERB tag");
  }
}

/** Where a line starts, for turning offsets into lines and columns. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") this.starts.push(i + 1);
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.starts[low]! + 1 };
  }
}

export function splitTemplate(template: string): Piece[] {
  const pieces: Piece[] = [];
  let text = "";
  let textOffset = 0;
  let index = 0;
  const flushText = (): void => {
    if (text !== "") pieces.push({ kind: "text", text, offset: textOffset });
    text = "";
  };

  while (index < template.length) {
    const open = template.indexOf("<%", index);
    if (open === -1) {
      if (text === "") textOffset = index;
      text += template.slice(index);
      break;
    }
    if (text === "") textOffset = index;
    if (template[open + 2] === "-") {
      // `<%-` is a code tag; when only blanks precede it on its line (within this text) they go.
      const lineStart = template.lastIndexOf("\n", open - 1) + 1;
      const indented = lineStart >= index && /^[ \t]*$/.test(template.slice(lineStart, open));
      text += template.slice(index, indented ? lineStart : open);
      flushText();
      if (template[open + 3] === "=") throw syntaxError("`<%-=` is not an output tag (Ruby reads `= …` as code): write `<%=`", open);
      index = readTag(template, open, open + 3, "code", pieces);
      continue;
    }
    text += template.slice(index, open);
    if (template[open + 2] === "%") {
      text += "<%";
      index = open + 3;
      continue;
    }
    flushText();
    const marker = template[open + 2];
    if (marker === "=") index = readTag(template, open, open + 3, "output", pieces);
    else if (marker === "#") index = readTag(template, open, open + 3, "comment", pieces);
    else index = readTag(template, open, open + 2, "code", pieces);
  }
  flushText();
  return pieces;
}

/** Reads a tag's code up to its `%>` or `-%>`; returns where the text after it starts. */
function readTag(template: string, tagOffset: number, start: number, kind: "output" | "code" | "comment", pieces: Piece[]): number {
  let code = "";
  let i = start;
  while (i < template.length) {
    if (template.startsWith("-%>", i)) {
      push(kind, code, start, tagOffset, pieces);
      let next = i + 3;
      const newline = /^\r?\n/.exec(template.slice(next, next + 2));
      if (newline) next += newline[0].length;
      if (newline || next === template.length) pieces.push({ kind: "newline", offset: i });
      return next;
    }
    if (template.startsWith("%%>", i)) {
      code += "%>";
      i += 3;
      continue;
    }
    if (template.startsWith("%>", i)) {
      push(kind, code, start, tagOffset, pieces);
      return i + 2;
    }
    code += template[i];
    i++;
  }
  throw new UnterminatedTag(tagOffset);
}

function push(kind: "output" | "code" | "comment", code: string, offset: number, tagOffset: number, pieces: Piece[]): void {
  // A comment tag compiles to nothing at all, not even a statement separator.
  if (kind === "comment") return;
  pieces.push({ kind, code, offset, tagOffset });
}

// Tokens of the Ruby that ERB compiles a template to. Text runs and output tags become tokens of
// their own; the rest is Ruby's lexical grammar, as far as deploy.yml files use it. Like ERB's
// compiled code, a `#` comment in a code tag runs to the next line of that code, swallowing any
// text and tags on the same line.
import { syntaxError, unsupported } from "./failure.js";
import type { Piece } from "./template.js";

export type StringPart = string | readonly Token[];

export type Token =
  | { readonly t: "text"; readonly text: string; readonly at: number }
  | { readonly t: "out_open" | "out_close" | "nl" | "semi" | "eof"; readonly at: number }
  | { readonly t: "string" | "command"; readonly parts: readonly StringPart[]; readonly at: number }
  | { readonly t: "words"; readonly words: readonly string[]; readonly at: number }
  | { readonly t: "int"; readonly value: number; readonly at: number }
  | { readonly t: "ident" | "const" | "keyword" | "symbol" | "op"; readonly value: string; readonly at: number };

const KEYWORDS = new Set([
  "if", "elsif", "else", "unless", "end", "then", "do", "nil", "true", "false", "and", "or", "not",
  "while", "until", "for", "in", "case", "when", "def", "class", "module", "begin", "rescue", "ensure",
  "return", "break", "next", "redo", "retry", "yield", "self", "super", "defined?", "alias", "undef",
  "__FILE__", "__LINE__", "__dir__", "BEGIN", "END",
]);

// Longest first, so `...` wins over `..` and `||=` over `||`.
const OPERATORS = [
  "...", "||=", "&&=", "**", "==", "!=", "&&", "||", "&.", "..", "<=", ">=", "=~", "!~", "<<", "::", "=>", "+=", "-=",
  "+", "-", "*", "/", "%", "<", ">", "=", "!", "?", ":", "(", ")", "[", "]", "{", "}", ",", ".", "|", "&", "^", "~",
];

const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n", t: "\t", r: "\r", s: " ", e: "\x1b", a: "\x07", b: "\b", f: "\f", v: "\v",
};

const OPENERS: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}", "<": ">" };

/** All tokens of a template's pieces, ending with `eof`. */
export function tokenize(pieces: readonly Piece[], end: number): Token[] {
  const tokens: Token[] = [];
  let inComment = false;
  let lineHasPush = false;
  const newline = (at: number): void => {
    tokens.push({ t: "nl", at });
    inComment = false;
    lineHasPush = false;
  };
  for (const piece of pieces) {
    if (piece.kind === "newline") {
      newline(piece.offset);
      continue;
    }
    // ERB joins the statements of one line of its compiled code with "; ".
    if (lineHasPush && !inComment) tokens.push({ t: "semi", at: piece.offset });
    lineHasPush = true;
    if (piece.kind === "text") {
      if (!inComment) tokens.push({ t: "text", text: piece.text, at: piece.offset });
      for (let i = piece.text.indexOf("\n"); i !== -1; i = piece.text.indexOf("\n", i + 1)) newline(piece.offset + i);
      continue;
    }
    if (piece.kind === "output") {
      if (inComment) {
        if (piece.code.includes("\n")) throw unsupported("an output tag on a line a `#` comment has commented out", piece.tagOffset);
        continue;
      }
      tokens.push({ t: "out_open", at: piece.tagOffset });
      const lexer: Lexer = new Lexer(piece.code, piece.offset);
      tokens.push(...lexer.run());
      if (lexer.endedInComment) throw syntaxError("a `#` comment inside an output tag comments out the rest of the tag", piece.tagOffset);
      tokens.push({ t: "out_close", at: piece.offset + piece.code.length });
      continue;
    }
    const lexer: Lexer = new Lexer(piece.code, piece.offset, inComment);
    for (const token of lexer.run()) {
      if (token.t === "nl") newline(token.at);
      else tokens.push(token);
    }
    inComment = lexer.endedInComment;
    if (lexer.endsWithNewline) lineHasPush = false;
  }
  tokens.push({ t: "eof", at: end });
  return tokens;
}

class Lexer {
  private i = 0;
  private braces = 0;
  endedInComment = false;
  endsWithNewline = false;
  private readonly tokens: Token[] = [];

  constructor(
    private readonly code: string,
    private readonly base: number,
    private comment = false,
  ) {}

  /** Tokens up to the end of the code, or (for `#{…}`) up to the unmatched `}`. */
  run(stopAtBrace = false): Token[] {
    const code = this.code;
    while (this.i < code.length) {
      const ch = code[this.i]!;
      const at = this.base + this.i;
      if (ch === "\n") {
        this.comment = false;
        if (!this.continuesOnNextLine()) this.tokens.push({ t: "nl", at });
        this.i++;
      } else if (this.comment) {
        this.i++;
      } else if (ch === "#") {
        this.comment = true;
      } else if (ch === " " || ch === "\t" || ch === "\r") {
        this.i++;
      } else if (ch === "\\" && code[this.i + 1] === "\n") {
        this.i += 2;
      } else if (ch === ";") {
        this.tokens.push({ t: "semi", at });
        this.i++;
      } else if (ch === "}" && stopAtBrace && this.braces === 0) {
        return this.tokens;
      } else {
        this.token(ch, at);
      }
    }
    if (stopAtBrace) throw syntaxError("unterminated `#{` in a string", this.base);
    this.endedInComment = this.comment;
    this.endsWithNewline = code.endsWith("\n");
    return this.tokens;
  }

  /** Ruby reads `foo\n  .bar` as one expression. */
  private continuesOnNextLine(): boolean {
    const rest = /^\s*(&?\.)(.)/.exec(this.code.slice(this.i + 1));
    return rest !== null && rest[2] !== ".";
  }

  private token(ch: string, at: number): void {
    const code = this.code;
    const rest = code.slice(this.i);
    if (ch === '"') return this.push({ t: "string", parts: this.delimited('"', '"', true), at });
    if (ch === "'") return this.push({ t: "string", parts: [this.singleQuoted("'", "'")], at });
    if (ch === "`") return this.push({ t: "command", parts: this.delimited("`", "`", true), at });
    const percent = /^%([xqQwW]?)([([{<|!/^])/.exec(rest);
    if (percent && this.valueExpected()) return this.percentLiteral(percent[1]!, percent[2]!, at);
    const number = /^[0-9][0-9_]*(\.[0-9])?/.exec(rest);
    if (number) {
      if (number[1]) throw unsupported("floating-point numbers", at);
      this.i += number[0].length - (number[0].endsWith("_") ? 1 : 0);
      return this.push({ t: "int", value: Number(number[0].replace(/_/g, "")), at });
    }
    const word = /^(?:defined\?|[A-Za-z_][A-Za-z0-9_]*(?:[?!](?!=))?)/.exec(rest);
    if (word) {
      this.i += word[0].length;
      const value = word[0];
      const kind = KEYWORDS.has(value) ? "keyword" : /^[A-Z]/.test(value) ? "const" : "ident";
      return this.push({ t: kind, value, at });
    }
    if (ch === "@" || ch === "$") throw unsupported(`${ch === "@" ? "instance" : "global"} variables (${/^[@$][@\w]*/.exec(rest)![0]})`, at);
    const symbol = /^:([A-Za-z_][A-Za-z0-9_]*[?!]?)/.exec(rest);
    if (symbol && this.valueExpected()) {
      this.i += symbol[0].length;
      return this.push({ t: "symbol", value: symbol[1]!, at });
    }
    const operator = OPERATORS.find((candidate) => rest.startsWith(candidate));
    if (!operator) throw syntaxError(`unexpected character ${JSON.stringify(ch)}`, at);
    if (operator === "{") this.braces++;
    if (operator === "}") this.braces--;
    this.i += operator.length;
    this.push({ t: "op", value: operator, at });
  }

  private push(token: Token): void {
    this.tokens.push(token);
  }

  /** Whether the previous token ends a value (then `%` and `:` are operators, not literals). */
  private valueExpected(): boolean {
    const previous = this.tokens[this.tokens.length - 1];
    if (previous === undefined) return true;
    if (previous.t === "op") return ![")", "]", "}"].includes(previous.value);
    if (previous.t === "keyword") return !["end", "nil", "true", "false", "self"].includes(previous.value);
    // `fetch :x` or `x ? a :b` style spacing: a space before and none after means a literal.
    return previous.t === "ident" && this.code[this.i - 1] === " " && this.code[this.i + 1] !== " ";
  }

  private percentLiteral(type: string, open: string, at: number): void {
    const close = OPENERS[open] ?? open;
    this.i += type.length + 1; // now at the opening delimiter
    if (type === "x") return this.push({ t: "command", parts: this.delimited(open, close, true), at });
    if (type === "q") return this.push({ t: "string", parts: [this.singleQuoted(open, close)], at });
    if (type === "w" || type === "W") {
      const text = this.singleQuoted(open, close);
      return this.push({ t: "words", words: text.split(/[ \t\n\r\f\v]+/).filter((word) => word !== ""), at });
    }
    this.push({ t: "string", parts: this.delimited(open, close, true), at });
  }

  /** A double-quoted body (also backticks, %x, %Q): escapes and `#{…}`; `this.i` is at the opener. */
  private delimited(open: string, close: string, interpolate: boolean): StringPart[] {
    const code = this.code;
    const start = this.i;
    this.i++;
    const parts: StringPart[] = [];
    let text = "";
    let depth = 1;
    while (this.i < code.length) {
      const ch = code[this.i]!;
      if (ch === "\\") {
        const { value, length } = escape(code, this.i + 1);
        text += value;
        this.i += 1 + length;
        continue;
      }
      if (interpolate && ch === "#" && code[this.i + 1] === "{") {
        if (text !== "") parts.push(text);
        text = "";
        const inner: Lexer = new Lexer(code, this.base, false);
        inner.i = this.i + 2;
        parts.push(inner.run(true));
        this.i = inner.i + 1;
        continue;
      }
      if (open !== close && ch === open) depth++;
      else if (ch === close && --depth === 0) {
        this.i++;
        if (text !== "" || parts.length === 0) parts.push(text);
        return parts;
      }
      text += ch;
      this.i++;
    }
    throw syntaxError(`unterminated string (it starts with ${code.slice(start, start + 20)})`, this.base + start);
  }

  /** A single-quoted body (also %q, %w): only `\\` and an escaped delimiter are escapes. */
  private singleQuoted(open: string, close: string): string {
    const code = this.code;
    const start = this.i;
    this.i++;
    let text = "";
    let depth = 1;
    while (this.i < code.length) {
      const ch = code[this.i]!;
      const next = code[this.i + 1];
      if (ch === "\\" && (next === "\\" || next === close || next === open)) {
        text += next;
        this.i += 2;
        continue;
      }
      if (open !== close && ch === open) depth++;
      else if (ch === close && --depth === 0) {
        this.i++;
        return text;
      }
      text += ch;
      this.i++;
    }
    throw syntaxError(`unterminated string (it starts with ${code.slice(start, start + 20)})`, this.base + start);
  }
}

/** A backslash escape in a double-quoted string, from just after the backslash. */
function escape(code: string, at: number): { value: string; length: number } {
  const ch = code[at];
  if (ch === undefined) return { value: "\\", length: 0 };
  if (ch in ESCAPES) return { value: ESCAPES[ch]!, length: 1 };
  if (ch === "\n") return { value: "", length: 1 };
  const octal = /^[0-7]{1,3}/.exec(code.slice(at));
  if (octal) return { value: String.fromCharCode(parseInt(octal[0], 8)), length: octal[0].length };
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(code.slice(at));
  if (hex) return { value: String.fromCharCode(parseInt(hex[1]!, 16)), length: hex[0].length };
  const unicode = /^u(?:([0-9a-fA-F]{4})|\{([0-9a-fA-F ]+)\})/.exec(code.slice(at));
  if (unicode) {
    const points = (unicode[1] ?? unicode[2]!).trim().split(/ +/).map((point) => parseInt(point, 16));
    return { value: String.fromCodePoint(...points), length: unicode[0].length };
  }
  return { value: ch, length: 1 };
}

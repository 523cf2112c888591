// The subset of ERB that real deploy.yml files use, rendered the way Ruby's
// `ERB.new(text, trim_mode: "-")` would: `<%= expr %>` output tags, `<%# %>` comments,
// `<%- … -%>` trimming and `<%%` escapes. Expressions are limited to what configs need
// (ENV lookups, command output, string literals, `||` defaults, strip/chomp); anything else
// is refused with the file, line and expression rather than rendered as an empty string.
import { execFileSync } from "node:child_process";
import type { CommandOutcome } from "../util/local-commands.js";
import { ConfigError } from "./errors.js";

export interface ErbOptions {
  /** Named in errors. */
  readonly file: string;
  /** The environment `ENV[...]` reads and commands run with. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `%x()` and backtick commands run. */
  readonly cwd?: string;
  /** Runs `%x()` and backtick commands instead of a shell here (bounded, refused or asynchronous: load.ts). */
  readonly runCommand?: (command: string) => CommandOutcome;
}

type Value = string | null;

interface Tag {
  readonly kind: "output" | "comment" | "code";
  readonly code: string;
  readonly line: number;
  readonly column: number;
}

/** Renders an ERB template; throws ConfigError naming file, line and expression on failure. */
export function renderErb(template: string, options: ErbOptions): string {
  let out = "";
  let index = 0;
  let line = 1;
  const advance = (to: number): void => {
    for (let i = index; i < to; i++) if (template[i] === "\n") line++;
    index = to;
  };

  while (index < template.length) {
    const open = template.indexOf("<%", index);
    if (open === -1) {
      out += template.slice(index);
      break;
    }
    if (template[open + 2] === "%") {
      // `<%%` is a literal `<%`.
      out += template.slice(index, open) + "<%";
      advance(open + 3);
      continue;
    }
    let text = template.slice(index, open);
    const lineBegin = template.lastIndexOf("\n", open - 1) + 1;
    if (template[open + 2] === "-" && lineBegin >= index && /^[ \t]*$/.test(template.slice(lineBegin, open))) {
      // `<%-` drops the indentation before it when it starts the line.
      text = text.slice(0, lineBegin - index);
    }
    out += text;
    const tagLine = line + countNewlines(template.slice(index, open));
    const tagColumn = open - lineBegin + 1;
    advance(open);

    const { tag, end, trimNewline } = readTag(template, open, tagLine, tagColumn, options.file);
    out += evaluateTag(tag, options);
    advance(end);
    if (trimNewline && template[index] === "\n") advance(index + 1);
  }
  return out;
}

function countNewlines(text: string): number {
  let count = 0;
  for (const ch of text) if (ch === "\n") count++;
  return count;
}

function readTag(
  template: string,
  open: number,
  line: number,
  column: number,
  file: string,
): { tag: Tag; end: number; trimNewline: boolean } {
  let start = open + 2;
  let kind: Tag["kind"] = "code";
  if (template[start] === "-") start++;
  if (template[start] === "=") {
    kind = "output";
    start++;
  } else if (template[start] === "#") {
    kind = "comment";
    start++;
  }
  let code = "";
  let i = start;
  while (i < template.length) {
    if (template.startsWith("%%>", i)) {
      code += "%>";
      i += 3;
      continue;
    }
    if (template.startsWith("-%>", i)) {
      return { tag: { kind, code, line, column }, end: i + 3, trimNewline: true };
    }
    if (template.startsWith("%>", i)) {
      return { tag: { kind, code, line, column }, end: i + 2, trimNewline: false };
    }
    code += template[i];
    i++;
  }
  throw erbError(file, line, column, `unterminated ERB tag ${template.slice(open, open + 20).trim()}…`);
}

function evaluateTag(tag: Tag, options: ErbOptions): string {
  if (tag.kind === "comment") return "";
  const code = tag.code.trim();
  if (tag.kind === "code") {
    // Only empty tags and Ruby comments carry no logic; loops and conditionals are refused.
    if (code === "" || code.startsWith("#")) return "";
    throw unsupported(options.file, tag, code);
  }
  const value = new Evaluator(code, tag, options).evaluateAll();
  return value ?? "";
}

function erbError(file: string, line: number, column: number, message: string): ConfigError {
  return new ConfigError([{ path: "", message: `ERB: ${message}`, file, line, column }]);
}

function unsupported(file: string, tag: Tag, code: string): ConfigError {
  return erbError(
    file,
    tag.line,
    tag.column,
    `unsupported expression \`${code}\` (supported: ENV["X"], ENV.fetch("X"[, "default"]), %x(cmd), \`cmd\`, string literals, ||, .strip, .chomp)`,
  );
}

// --- expression language -------------------------------------------------------------------

type Token =
  | { type: "string"; parts: readonly (string | Expression)[] }
  | { type: "command"; parts: readonly (string | Expression)[] }
  | { type: "ident"; name: string }
  | { type: "punct"; value: string };

type Expression =
  | { type: "literal"; parts: readonly (string | Expression)[] }
  | { type: "command"; parts: readonly (string | Expression)[] }
  | { type: "nil" }
  | { type: "env"; name: string }
  | { type: "fetch"; name: string; fallback?: Expression }
  | { type: "or"; left: Expression; right: Expression }
  | { type: "call"; target: Expression; method: string };

const STRING_METHODS: Readonly<Record<string, (value: string) => string>> = {
  strip: (value) => value.replace(/^[\0\t\n\v\f\r ]+|[\0\t\n\v\f\r ]+$/g, ""),
  lstrip: (value) => value.replace(/^[\0\t\n\v\f\r ]+/, ""),
  rstrip: (value) => value.replace(/[\0\t\n\v\f\r ]+$/, ""),
  chomp: (value) => value.replace(/(?:\r\n|\n|\r)$/, ""),
  to_s: (value) => value,
};

class Evaluator {
  private tokens: Token[] = [];
  private position = 0;

  constructor(
    private readonly code: string,
    private readonly tag: Tag,
    private readonly options: ErbOptions,
  ) {}

  evaluateAll(): Value {
    this.tokens = this.tokenize(this.code);
    this.position = 0;
    const expression = this.parseOr();
    if (this.position !== this.tokens.length) throw this.unsupported();
    return this.evaluate(expression);
  }

  private unsupported(): ConfigError {
    return unsupported(this.options.file, this.tag, this.code);
  }

  private fail(message: string): ConfigError {
    return erbError(this.options.file, this.tag.line, this.tag.column, message);
  }

  // Tokenizer ------------------------------------------------------------------------------

  private tokenize(code: string): Token[] {
    const tokens: Token[] = [];
    let i = 0;
    while (i < code.length) {
      const ch = code[i]!;
      if (/\s/.test(ch)) {
        i++;
      } else if (ch === '"') {
        const { parts, end } = this.readInterpolated(code, i + 1, '"');
        tokens.push({ type: "string", parts });
        i = end;
      } else if (ch === "'") {
        const { text, end } = readSingleQuoted(code, i + 1);
        if (end < 0) throw this.unsupported();
        tokens.push({ type: "string", parts: [text] });
        i = end;
      } else if (ch === "`") {
        const { parts, end } = this.readInterpolated(code, i + 1, "`");
        tokens.push({ type: "command", parts });
        i = end;
      } else if (ch === "%" && code[i + 1] === "x" && /[([{<|!/]/.test(code[i + 2] ?? "")) {
        const { parts, end } = this.readPercentCommand(code, i + 2);
        tokens.push({ type: "command", parts });
        i = end;
      } else if (code.startsWith("||", i)) {
        tokens.push({ type: "punct", value: "||" });
        i += 2;
      } else if ("[](),.".includes(ch)) {
        tokens.push({ type: "punct", value: ch });
        i++;
      } else if (/[A-Za-z_]/.test(ch)) {
        const match = /^[A-Za-z_][A-Za-z0-9_]*[?!]?/.exec(code.slice(i))!;
        tokens.push({ type: "ident", name: match[0] });
        i += match[0].length;
      } else {
        throw this.unsupported();
      }
    }
    return tokens;
  }

  /** Double-quoted strings and backtick commands: backslash escapes and `#{expr}`. */
  private readInterpolated(code: string, start: number, close: string): { parts: (string | Expression)[]; end: number } {
    return this.readDelimited(code, start, close, close === "`" ? unescapeCommandChar : unescapeChar);
  }

  /** `%x(...)` with nested delimiters, like Ruby's percent literals. */
  private readPercentCommand(code: string, start: number): { parts: (string | Expression)[]; end: number } {
    const open = code[start]!;
    const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}", "<": ">" };
    return this.readDelimited(code, start + 1, pairs[open] ?? open, unescapeCommandChar, open);
  }

  /** Text up to `close` (pairs of `open`/`close` nest when given), with escapes and `#{expr}`. */
  private readDelimited(
    code: string,
    start: number,
    close: string,
    unescape: (ch: string) => string,
    open?: string,
  ): { parts: (string | Expression)[]; end: number } {
    const parts: (string | Expression)[] = [];
    let text = "";
    let depth = 1;
    let i = start;
    while (i < code.length) {
      const ch = code[i]!;
      if (ch === "\\") {
        text += unescape(code[i + 1] ?? "");
        i += 2;
        continue;
      }
      if (ch === "#" && code[i + 1] === "{") {
        const end = findClosingBrace(code, i + 2);
        if (end < 0) throw this.unsupported();
        if (text !== "") parts.push(text);
        text = "";
        parts.push(this.subExpression(code.slice(i + 2, end)));
        i = end + 1;
        continue;
      }
      if (open !== undefined && open !== close && ch === open) depth++;
      else if (ch === close && --depth === 0) {
        if (text !== "") parts.push(text);
        return { parts, end: i + 1 };
      }
      text += ch;
      i++;
    }
    throw this.unsupported();
  }

  private subExpression(code: string): Expression {
    const inner = new Evaluator(code, this.tag, this.options);
    inner.tokens = inner.tokenize(code);
    const expression = inner.parseOr();
    if (inner.position !== inner.tokens.length) throw this.unsupported();
    return expression;
  }

  // Parser ---------------------------------------------------------------------------------

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private isPunct(value: string): boolean {
    const token = this.peek();
    return token?.type === "punct" && token.value === value;
  }

  private expectPunct(value: string): void {
    if (!this.isPunct(value)) throw this.unsupported();
    this.position++;
  }

  private parseOr(): Expression {
    let left = this.parsePostfix();
    while (this.isPunct("||")) {
      this.position++;
      left = { type: "or", left, right: this.parsePostfix() };
    }
    return left;
  }

  private parsePostfix(): Expression {
    let target = this.parsePrimary();
    while (this.isPunct(".")) {
      this.position++;
      const method = this.peek();
      if (method?.type !== "ident" || !(method.name in STRING_METHODS)) throw this.unsupported();
      this.position++;
      if (this.isPunct("(")) {
        this.position++;
        this.expectPunct(")");
      }
      target = { type: "call", target, method: method.name };
    }
    return target;
  }

  private parsePrimary(): Expression {
    const token = this.peek();
    if (!token) throw this.unsupported();
    this.position++;
    if (token.type === "string") return { type: "literal", parts: token.parts };
    if (token.type === "command") return { type: "command", parts: token.parts };
    if (token.type === "punct" && token.value === "(") {
      const inner = this.parseOr();
      this.expectPunct(")");
      return inner;
    }
    if (token.type === "ident" && token.name === "nil") return { type: "nil" };
    if (token.type === "ident" && token.name === "ENV") return this.parseEnv();
    throw this.unsupported();
  }

  private parseEnv(): Expression {
    if (this.isPunct("[")) {
      this.position++;
      const name = this.parseStaticString();
      this.expectPunct("]");
      return { type: "env", name };
    }
    if (this.isPunct(".")) {
      this.position++;
      const method = this.peek();
      if (method?.type !== "ident" || method.name !== "fetch") throw this.unsupported();
      this.position++;
      this.expectPunct("(");
      const name = this.parseStaticString();
      let fallback: Expression | undefined;
      if (this.isPunct(",")) {
        this.position++;
        fallback = this.parseOr();
      }
      this.expectPunct(")");
      return fallback === undefined ? { type: "fetch", name } : { type: "fetch", name, fallback };
    }
    throw this.unsupported();
  }

  private parseStaticString(): string {
    const token = this.peek();
    if (token?.type !== "string" || token.parts.some((part) => typeof part !== "string")) throw this.unsupported();
    this.position++;
    return token.parts.join("");
  }

  // Evaluation -----------------------------------------------------------------------------

  private evaluate(expression: Expression): Value {
    switch (expression.type) {
      case "literal":
        return this.interpolate(expression.parts);
      case "nil":
        return null;
      case "env":
        return this.options.env[expression.name] ?? null;
      case "fetch": {
        const value = this.options.env[expression.name];
        if (value !== undefined) return value;
        if (expression.fallback) return this.evaluate(expression.fallback);
        throw this.fail(`ENV.fetch("${expression.name}"): environment variable ${expression.name} is not set`);
      }
      case "or": {
        // Ruby truthiness: only nil (and false) fall through; "" is a value.
        const left = this.evaluate(expression.left);
        return left !== null ? left : this.evaluate(expression.right);
      }
      case "call": {
        const target = this.evaluate(expression.target);
        if (target === null) throw this.fail(`undefined method '${expression.method}' for nil in \`${this.code}\``);
        return STRING_METHODS[expression.method]!(target);
      }
      case "command":
        return this.run(this.interpolate(expression.parts));
    }
  }

  private interpolate(parts: readonly (string | Expression)[]): string {
    return parts.map((part) => (typeof part === "string" ? part : (this.evaluate(part) ?? ""))).join("");
  }

  private run(command: string): string {
    if (this.options.runCommand) {
      const outcome = this.options.runCommand(command);
      if ("failure" in outcome) throw this.fail(`command \`${command}\` ${outcome.failure}`);
      return outcome.stdout;
    }
    try {
      return execFileSync("/bin/sh", ["-c", command], {
        cwd: this.options.cwd,
        env: this.options.env,
        encoding: "utf8",
        // stdin and stderr stay attached so vault CLIs can prompt and report.
        stdio: ["inherit", "pipe", "inherit"],
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      const status = (error as { status?: number | null }).status;
      const reason = typeof status === "number" ? `exited with status ${status}` : "could not be run";
      throw this.fail(`command \`${command}\` ${reason}`);
    }
  }
}

function readSingleQuoted(code: string, start: number): { text: string; end: number } {
  let text = "";
  for (let i = start; i < code.length; i++) {
    const ch = code[i]!;
    if (ch === "\\" && (code[i + 1] === "'" || code[i + 1] === "\\")) {
      text += code[i + 1];
      i++;
    } else if (ch === "'") {
      return { text, end: i + 1 };
    } else {
      text += ch;
    }
  }
  return { text, end: -1 };
}

function findClosingBrace(code: string, start: number): number {
  let depth = 1;
  for (let i = start; i < code.length; i++) {
    if (code[i] === "{") depth++;
    else if (code[i] === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  s: " ",
  e: "\x1b",
  "0": "\0",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
};

function unescapeChar(ch: string): string {
  return ESCAPES[ch] ?? ch;
}

/** In commands a backslash before anything but the delimiter stays for the shell to read. */
function unescapeCommandChar(ch: string): string {
  if (ch === "`" || ch === "\\" || ch === ")" || ch === "(" || ch === "#") return ch;
  return ESCAPES[ch] ?? `\\${ch}`;
}

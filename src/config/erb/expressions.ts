// Expressions of the Ruby subset, with Ruby's precedence (low to high): `not`/`and`/`or`,
// assignment, `? :`, `..`, `||`, `&&`, `==`, `<`, `+`, `*`, `!`/unary minus, then method calls,
// indexing and blocks. Statements (and so blocks and `if`) are the subclass's: parser.ts.
import type { Block, Node } from "./ast.js";
import { syntaxError, unsupported } from "./failure.js";
import type { StringPart, Token } from "./lexer.js";
import { TokenStream, type Stop } from "./token-stream.js";

const BINARY_LEVELS: readonly (readonly string[])[] = [["==", "!="], ["<", ">", "<=", ">="], ["+", "-"], ["*", "/", "%"]];
const VALUE_START = new Set(["string", "command", "words", "int", "ident", "const", "symbol"]);

export abstract class ExpressionParser extends TokenStream {
  protected abstract statements(stop: Stop): Node[];
  protected abstract block(): Block;
  protected abstract conditional(negate: boolean, at: number): Node;
  /** Parses the tokens of a `#{…}` in the same scope. */
  protected abstract subParser(tokens: readonly Token[]): { program(): Node[] };

  protected expressionStatement(): Node {
    let left = this.notExpression();
    while (this.isKeyword("and") || this.isKeyword("or")) {
      const op = this.next();
      this.skipNewlines();
      const right = this.notExpression();
      left = { k: op.t === "keyword" && op.value === "and" ? "and" : "or", left, right, at: op.at };
    }
    return left;
  }

  protected notExpression(): Node {
    if (!this.isKeyword("not")) return this.expression();
    const op = this.next();
    return { k: "not", operand: this.notExpression(), at: op.at };
  }

  protected expression(): Node {
    const token = this.peek();
    const op = this.peek(1);
    if (token.t === "ident" && op.t === "op" && ["=", "||=", "&&=", "+=", "-="].includes(op.value)) {
      this.i += 2;
      this.scopes[this.scopes.length - 1]!.add(token.value);
      this.skipNewlines();
      const value = this.expression();
      const current: Node = { k: "var", name: token.value, at: token.at };
      if (op.value === "=" || op.value === "||=") return { k: "assign", name: token.value, orAssign: op.value === "||=", value, at: token.at };
      const combined: Node =
        op.value === "&&=" ? { k: "and", left: current, right: value, at: op.at } : { k: "binary", op: op.value[0]!, left: current, right: value, at: op.at };
      return { k: "assign", name: token.value, orAssign: false, value: combined, at: token.at };
    }
    if (token.t === "const" && op.t === "op" && op.value === "=") throw unsupported(`assigning the constant ${token.value}`, token.at);
    return this.ternary();
  }

  // Operators ------------------------------------------------------------------------------

  protected ternary(): Node {
    const condition = this.range();
    if (!this.isOp("?")) return condition;
    const question = this.next();
    this.skipNewlines();
    const then = this.ternary();
    this.skipNewlines();
    this.expectOp(":", "in `a ? b : c`");
    this.skipNewlines();
    const otherwise = this.ternary();
    return { k: "if", condition, then: [then], otherwise: [otherwise], at: question.at };
  }

  protected range(): Node {
    const from = this.logical("||");
    if (!this.isOp("..") && !this.isOp("...")) return from;
    const op = this.next();
    this.skipNewlines();
    return { k: "range", from, to: this.logical("||"), exclusive: op.t === "op" && op.value === "...", at: op.at };
  }

  protected logical(op: "||" | "&&"): Node {
    const operand = (): Node => (op === "||" ? this.logical("&&") : this.binary(0));
    let left = operand();
    while (this.isOp(op)) {
      const token = this.next();
      this.skipNewlines();
      left = { k: op === "||" ? "or" : "and", left, right: operand(), at: token.at };
    }
    return left;
  }

  protected binary(level: number): Node {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const token = this.peek();
      if (token.t === "op" && (token.value === "=~" || token.value === "!~")) throw unsupported(`regular expressions (${token.value})`, token.at);
      if (token.t !== "op" || !BINARY_LEVELS[level]!.includes(token.value)) return left;
      this.i++;
      this.skipNewlines();
      left = { k: "binary", op: token.value, left, right: this.binary(level + 1), at: token.at };
    }
  }

  protected unary(): Node {
    const token = this.peek();
    if (token.t === "op" && token.value === "!") {
      this.i++;
      return { k: "not", operand: this.unary(), at: token.at };
    }
    if (token.t === "op" && token.value === "-") {
      this.i++;
      const operand = this.peek();
      if (operand.t === "int") {
        this.i++;
        return this.postfix({ k: "literal", value: -operand.value, at: token.at });
      }
      return { k: "binary", op: "-", left: { k: "literal", value: 0, at: token.at }, right: this.unary(), at: token.at };
    }
    return this.postfix(this.primary());
  }

  // Calls ----------------------------------------------------------------------------------

  protected postfix(start: Node): Node {
    let node = start;
    for (;;) {
      const token = this.peek();
      if (token.t === "op" && (token.value === "." || token.value === "&.")) {
        this.i++;
        this.skipNewlines();
        const name = this.next();
        if (name.t !== "ident" && name.t !== "const" && name.t !== "keyword") throw syntaxError(`expected a method name after \`${token.value}\``, name.at);
        node = this.call(node, name.value, token.value === "&.", name.at);
      } else if (token.t === "op" && token.value === "[") {
        this.i++;
        const args = this.argumentList("]");
        node = { k: "call", receiver: node, name: "[]", args, safe: false, at: token.at };
      } else if (token.t === "op" && token.value === "::") {
        throw unsupported("`::` constant paths", token.at);
      } else {
        return node;
      }
    }
  }

  protected call(receiver: Node | null, name: string, safe: boolean, at: number): Node {
    let args: Node[] = [];
    if (this.isOp("(")) {
      this.i++;
      args = this.argumentList(")");
    } else if (VALUE_START.has(this.peek().t) || (this.peek().t === "keyword" && ["nil", "true", "false"].includes((this.peek() as { value: string }).value))) {
      args = this.commandArguments();
    }
    const block = this.isKeyword("do") || this.isOp("{") ? this.block() : undefined;
    return { k: "call", receiver, name, args, safe, at, ...(block ? { block } : {}) };
  }

  /** `(a, b)` or `[a, b]`, after the opener. */
  protected argumentList(close: string): Node[] {
    const args: Node[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.isOp(close)) {
        this.i++;
        return args;
      }
      args.push(this.argument());
      this.skipNewlines();
      if (this.isOp(",")) {
        this.i++;
        continue;
      }
      this.expectOp(close, "to close the list");
      return args;
    }
  }

  /** `fetch "A", "b"`: arguments without parentheses, up to the end of the statement. */
  protected commandArguments(): Node[] {
    const args = [this.argument()];
    while (this.isOp(",")) {
      this.i++;
      this.skipNewlines();
      args.push(this.argument());
    }
    return args;
  }

  protected argument(): Node {
    const token = this.peek();
    if (token.t === "op" && token.value === "&") {
      this.i++;
      const symbol = this.next();
      if (symbol.t !== "symbol") throw unsupported("`&` with anything but a symbol (`&:strip`)", token.at);
      return { k: "blockpass", name: symbol.value, at: token.at };
    }
    if (token.t === "op" && (token.value === "*" || token.value === "**")) throw unsupported("splat arguments", token.at);
    if ((token.t === "ident" || token.t === "string") && this.isOp(":", 1)) throw unsupported("keyword arguments and hashes", token.at);
    if (this.isOp("=>", 1)) throw unsupported("hashes", token.at);
    return this.expression();
  }

  // Primaries ------------------------------------------------------------------------------

  protected primary(): Node {
    const token = this.next();
    switch (token.t) {
      case "string":
      case "command":
        return { k: token.t === "string" ? "str" : "cmd", parts: token.parts.map((part) => this.part(part, token.at)), at: token.at };
      case "words":
        return { k: "array", items: token.words.map((word) => ({ k: "str", parts: [word], at: token.at })), at: token.at };
      case "int":
        return { k: "literal", value: token.value, at: token.at };
      case "symbol":
        throw unsupported(`symbols (:${token.value})`, token.at);
      case "const":
        return { k: "const", name: token.value, at: token.at };
      case "ident":
        return this.declared(token.value) ? { k: "var", name: token.value, at: token.at } : this.call(null, token.value, false, token.at);
      case "keyword":
        if (token.value === "nil") return { k: "literal", value: null, at: token.at };
        if (token.value === "true" || token.value === "false") return { k: "literal", value: token.value === "true", at: token.at };
        if (token.value === "if" || token.value === "unless") return this.conditional(token.value === "unless", token.at);
        throw this.unexpected(token);
      case "op":
        if (token.value === "(") {
          const body = this.statements((next) => next.t === "op" && next.value === ")");
          this.expectOp(")", "to close `(`");
          return body.length === 1 ? body[0]! : { k: "seq", body, at: token.at };
        }
        if (token.value === "[") return { k: "array", items: this.argumentList("]"), at: token.at };
        if (token.value === "{") throw unsupported("hash literals", token.at);
        throw this.unexpected(token);
      default:
        throw this.unexpected(token);
    }
  }

  /** `#{…}` inside a string: its tokens, parsed in the same scope. */
  protected part(part: StringPart, at: number): string | Node {
    if (typeof part === "string") return part;
    const end = part.length > 0 ? part[part.length - 1]!.at : at;
    const body = this.subParser([...part, { t: "eof", at: end }]).program();
    return body.length === 1 ? body[0]! : { k: "seq", body, at };
  }
}

// A recursive-descent parser for the Ruby that ERB compiles a template to: text and `<%= %>`
// statements mixed with the Ruby statements of code tags (`if`/`elsif`/`else`/`unless`, blocks,
// modifiers). Like Ruby, a bare name is a local variable only after an assignment to it (or as
// a block parameter); otherwise it is a method call, refused by name if the template reaches it.
import type { Block, Node } from "./ast.js";
import { ErbFailure, syntaxError, unsupported } from "./failure.js";
import type { Token } from "./lexer.js";
import { ExpressionParser } from "./expressions.js";
import { keyword, type Stop } from "./token-stream.js";

export function parseTemplate(tokens: readonly Token[]): Node[] {
  return new Parser(tokens, [new Set()]).program();
}

class Parser extends ExpressionParser {
  program(): Node[] {
    const body = this.statements(() => false);
    if (this.peek().t !== "eof") throw this.unexpected(this.peek());
    return body;
  }

  protected subParser(tokens: readonly Token[]): Parser {
    return new Parser(tokens, this.scopes);
  }

  protected statements(stop: Stop): Node[] {
    const body: Node[] = [];
    for (;;) {
      while (this.peek().t === "nl" || this.peek().t === "semi") this.i++;
      const token = this.peek();
      if (token.t === "eof" || stop(token)) return body;
      body.push(this.statement());
      const after = this.peek();
      if (after.t !== "nl" && after.t !== "semi" && after.t !== "eof" && !stop(after)) throw this.unexpected(after);
    }
  }

  protected statement(): Node {
    const token = this.peek();
    if (token.t === "text") {
      this.i++;
      return { k: "text", text: token.text, at: token.at };
    }
    if (token.t === "out_open") return this.output();
    let node = this.expressionStatement();
    for (;;) {
      const modifier = this.peek();
      if (modifier.t !== "keyword" || !["if", "unless", "while", "until", "rescue"].includes(modifier.value)) return node;
      if (modifier.value !== "if" && modifier.value !== "unless") throw unsupported(`the \`${modifier.value}\` modifier`, modifier.at);
      this.i++;
      const condition = this.expressionStatement();
      const test: Node = modifier.value === "if" ? condition : { k: "not", operand: condition, at: modifier.at };
      node = { k: "if", condition: test, then: [node], otherwise: [], at: modifier.at };
    }
  }

  /** `<%= … %>`. Ruby that Berth can't parse fails when the tag is rendered (see Interpreter). */
  protected output(): Node {
    const open = this.next();
    const start = this.i;
    const depth = this.scopes.length;
    try {
      const body = this.statements((token) => token.t === "out_close");
      if (this.next().t !== "out_close") throw syntaxError("unterminated output tag", open.at);
      const expr = body.length === 0 ? null : body.length === 1 ? body[0]! : { k: "seq" as const, body, at: body[0]!.at };
      return { k: "output", expr, at: open.at };
    } catch (error) {
      if (!(error instanceof ErbFailure) || error.kind !== "unsupported") throw error;
      this.i = start;
      this.scopes.length = depth;
      while (this.peek().t !== "out_close" && this.peek().t !== "eof") this.i++;
      this.next();
      return { k: "output", expr: null, failure: error, at: open.at };
    }
  }

  protected block(): Block {
    const open = this.next();
    const closeBrace = open.t === "op";
    const params: string[] = [];
    if (this.isOp("||")) this.i++;
    else if (this.isOp("|")) {
      this.i++;
      while (!this.isOp("|")) {
        const param = this.next();
        if (param.t !== "ident") throw unsupported("block parameters other than plain names", param.at);
        params.push(param.value);
        if (this.isOp(",")) this.i++;
        else if (!this.isOp("|")) throw syntaxError("expected `,` or `|` in the block's parameters", this.peek().at);
      }
      this.i++;
    }
    this.scopes.push(new Set(params));
    const stop: Stop = closeBrace ? (token) => token.t === "op" && token.value === "}" : keyword("end");
    const body = this.statements(stop);
    this.scopes.pop();
    if (!stop(this.peek())) throw syntaxError(`missing \`${closeBrace ? "}" : "end"}\` for this block`, open.at);
    this.i++;
    return { params, body, at: open.at };
  }

  /** `if`/`unless` … (`elsif` …)* (`else` …)? `end`; the keyword is already read. */
  protected conditional(negate: boolean, at: number): Node {
    const condition = this.expressionStatement();
    if (this.isKeyword("then")) this.i++;
    const then = this.statements(keyword("elsif", "else", "end"));
    const next = this.next();
    let otherwise: Node[] = [];
    if (next.t === "keyword" && next.value === "elsif" && !negate) {
      otherwise = [this.conditional(false, next.at)];
    } else if (next.t === "keyword" && next.value === "else") {
      otherwise = this.statements(keyword("end"));
      if (!keyword("end")(this.next())) throw syntaxError(`missing \`end\` for this \`${negate ? "unless" : "if"}\``, at);
    } else if (next.t !== "keyword" || next.value !== "end") {
      throw syntaxError(`missing \`end\` for this \`${negate ? "unless" : "if"}\``, at);
    }
    return { k: "if", condition: negate ? { k: "not", operand: condition, at } : condition, then, otherwise, at };
  }
}

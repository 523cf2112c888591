// The token cursor the ERB parser reads with: lookahead, expectations and the local variables
// in scope (Ruby decides at parse time whether a bare name is a variable or a method call).
import { syntaxError, unsupported, type ErbFailure } from "./failure.js";
import type { Token } from "./lexer.js";

export type Stop = (token: Token) => boolean;

export const keyword =
  (...names: string[]): Stop =>
  (token) =>
    token.t === "keyword" && names.includes(token.value);

export abstract class TokenStream {
  protected i = 0;
  constructor(
    protected readonly tokens: readonly Token[],
    protected readonly scopes: Set<string>[],
  ) {}

  protected peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)]!;
  }

  protected next(): Token {
    const token = this.peek();
    if (token.t !== "eof") this.i++;
    return token;
  }

  protected isOp(value: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.t === "op" && token.value === value;
  }

  protected isKeyword(value: string): boolean {
    const token = this.peek();
    return token.t === "keyword" && token.value === value;
  }

  protected expectOp(value: string, context: string): void {
    if (!this.isOp(value)) throw syntaxError(`expected \`${value}\` ${context}, found ${describeToken(this.peek())}`, this.peek().at);
    this.i++;
  }

  protected skipNewlines(): void {
    while (this.peek().t === "nl") this.i++;
  }

  protected unexpected(token: Token): ErbFailure {
    if (token.t === "keyword" && !["end", "else", "elsif", "then", "do", "in", "when"].includes(token.value)) {
      return unsupported(`\`${token.value}\``, token.at);
    }
    return syntaxError(`unexpected ${describeToken(token)}`, token.at);
  }

  protected declared(name: string): boolean {
    return this.scopes.some((scope) => scope.has(name));
  }
}

export function describeToken(token: Token): string {
  switch (token.t) {
    case "text":
      return "template text";
    case "out_open":
      return "`<%=`";
    case "out_close":
      return "end of the tag";
    case "nl":
    case "semi":
      return "end of the statement";
    case "eof":
      return "end of the template";
    case "string":
    case "command":
    case "words":
      return "a string";
    case "int":
      return `${token.value}`;
    default:
      return `\`${token.value}\``;
  }
}

// Runs a parsed template as ERB's compiled Ruby would: text and `<%= %>` append to the output,
// statements run in order, blocks get their own scope for their parameters and the variables
// first assigned inside them.
import type { Block, Node } from "./ast.js";
import { ErbFailure, unsupported } from "./failure.js";
import { binaryOperator, callMethod, type BlockFn } from "./methods.js";
import { ENV_OBJECT, isArray, toS, truthy, type RubyValue } from "./values.js";

export interface InterpreterHost {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Runs a backtick or %x() command; returns its standard output. */
  readonly run: (command: string, at: number) => string;
  /**
   * Whether output added to this line of the result would be discarded anyway (a YAML comment).
   * There, Ruby outside the subset renders as nothing instead of failing.
   */
  readonly discarded?: (line: string) => boolean;
}

class Scope {
  private readonly values = new Map<string, RubyValue>();
  constructor(private readonly parent?: Scope) {}

  get(name: string): RubyValue {
    return this.owner(name)?.values.get(name) ?? null;
  }

  /** Assigns where the variable already lives, else here (Ruby's block-local rule). */
  set(name: string, value: RubyValue): void {
    (this.owner(name) ?? this).values.set(name, value);
  }

  define(name: string, value: RubyValue): void {
    this.values.set(name, value);
  }

  private owner(name: string): Scope | undefined {
    return this.values.has(name) ? this : this.parent?.owner(name);
  }
}

const RUBY_CONSTANTS = new Set(["RUBY_ENGINE", "RUBY_ENGINE_VERSION", "RUBY_VERSION", "RUBY_PLATFORM", "RUBY_PATCHLEVEL", "RUBY_RELEASE_DATE"]);

export class Interpreter {
  private out = "";
  constructor(private readonly host: InterpreterHost) {}

  run(program: readonly Node[]): string {
    this.statements(program, new Scope());
    return this.out;
  }

  private statements(nodes: readonly Node[], scope: Scope): RubyValue {
    let last: RubyValue = null;
    for (const node of nodes) last = this.evaluate(node, scope);
    return last;
  }

  private evaluate(node: Node, scope: Scope): RubyValue {
    switch (node.k) {
      case "text":
        this.out += node.text;
        return null;
      case "output":
        this.output(node, scope);
        return null;
      case "str":
        return this.interpolate(node.parts, scope);
      case "cmd":
        return this.host.run(this.interpolate(node.parts, scope), node.at);
      case "array":
        return node.items.map((item) => this.evaluate(item, scope));
      case "literal":
        return node.value;
      case "var":
        return scope.get(node.name);
      case "const":
        return this.constant(node.name, node.at);
      case "assign": {
        if (node.orAssign) {
          const current = scope.get(node.name);
          if (truthy(current)) return current;
        }
        const value = this.evaluate(node.value, scope);
        scope.set(node.name, value);
        return value;
      }
      case "call":
        return this.call(node, scope);
      case "blockpass":
        throw unsupported("`&:name` outside an argument list", node.at);
      case "not":
        return !truthy(this.evaluate(node.operand, scope));
      case "and": {
        const left = this.evaluate(node.left, scope);
        return truthy(left) ? this.evaluate(node.right, scope) : left;
      }
      case "or": {
        const left = this.evaluate(node.left, scope);
        return truthy(left) ? left : this.evaluate(node.right, scope);
      }
      case "binary":
        return binaryOperator(node.op, this.evaluate(node.left, scope), this.evaluate(node.right, scope), node.at);
      case "range":
        return { kind: "range", from: this.evaluate(node.from, scope), to: this.evaluate(node.to, scope), exclusive: node.exclusive };
      case "if":
        return this.statements(truthy(this.evaluate(node.condition, scope)) ? node.then : node.otherwise, scope);
      case "seq":
        return this.statements(node.body, scope);
    }
  }

  private output(node: Extract<Node, { k: "output" }>, scope: Scope): void {
    const line = this.out.slice(this.out.lastIndexOf("\n") + 1);
    try {
      if (node.failure) throw node.failure;
      this.out += toS(node.expr === null ? null : this.evaluate(node.expr, scope));
    } catch (error) {
      const discarded = error instanceof ErbFailure && error.kind === "unsupported" && this.host.discarded?.(line) === true;
      if (!discarded) throw error;
    }
  }

  private interpolate(parts: readonly (string | Node)[], scope: Scope): string {
    return parts.map((part) => (typeof part === "string" ? part : toS(this.evaluate(part, scope)))).join("");
  }

  private constant(name: string, at: number): RubyValue {
    if (name === "ENV") return ENV_OBJECT;
    if (RUBY_CONSTANTS.has(name)) throw unsupported(`${name}, a constant of the Ruby running Kamal: write its value, or read it from ENV`, at);
    throw unsupported(`the constant ${name}`, at);
  }

  private call(node: Extract<Node, { k: "call" }>, scope: Scope): RubyValue {
    if (node.receiver === null) {
      const what = node.args.length === 0 && !node.block ? `\`${node.name}\` (not a local variable assigned before, nor a method Berth's ERB knows)` : `the method \`${node.name}\``;
      throw unsupported(what, node.at);
    }
    const receiver = this.evaluate(node.receiver, scope);
    if (node.safe && receiver === null) return null;
    const args: RubyValue[] = [];
    let block: BlockFn | undefined;
    for (const arg of node.args) {
      if (arg.k === "blockpass") {
        const name = arg.name;
        block = ([item]) => callMethod({ receiver: item ?? null, name, args: [], block: undefined, at: arg.at, env: this.host.env });
      } else {
        args.push(this.evaluate(arg, scope));
      }
    }
    if (node.block) block = this.blockFunction(node.block, scope);
    return callMethod({ receiver, name: node.name, args, block, at: node.at, env: this.host.env });
  }

  private blockFunction(block: Block, scope: Scope): BlockFn {
    return (values) => {
      const inner = new Scope(scope);
      // One array yielded to several parameters is spread over them, as Ruby's blocks do.
      const spread = block.params.length > 1 && values.length === 1 && isArray(values[0]!) ? values[0] : values;
      block.params.forEach((param, index) => inner.define(param, spread[index] ?? null));
      return this.statements(block.body, inner);
    };
  }
}

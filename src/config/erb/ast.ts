// The parsed template: ERB's text and output statements mixed with the Ruby statements of its
// code tags, as ERB's compiled Ruby would run them. `at` is an offset into the template.
import type { ErbFailure } from "./failure.js";

export interface Block {
  readonly params: readonly string[];
  readonly body: readonly Node[];
  readonly at: number;
}

export type Node =
  | { readonly k: "text"; readonly text: string; readonly at: number }
  /** `<%= expr %>`; `failure` when the tag's Ruby could not be parsed (see Interpreter). */
  | { readonly k: "output"; readonly expr: Node | null; readonly failure?: ErbFailure; readonly at: number }
  | { readonly k: "str" | "cmd"; readonly parts: readonly (string | Node)[]; readonly at: number }
  | { readonly k: "array"; readonly items: readonly Node[]; readonly at: number }
  | { readonly k: "literal"; readonly value: null | boolean | number; readonly at: number }
  | { readonly k: "var"; readonly name: string; readonly at: number }
  | { readonly k: "const"; readonly name: string; readonly at: number }
  | { readonly k: "assign"; readonly name: string; readonly orAssign: boolean; readonly value: Node; readonly at: number }
  | {
      readonly k: "call";
      /** null for a bare name (`foo`, `puts "x"`): Ruby's method call on self. */
      readonly receiver: Node | null;
      readonly name: string;
      readonly args: readonly Node[];
      readonly block?: Block;
      /** `&.`: nil receivers give nil instead of a NoMethodError. */
      readonly safe: boolean;
      readonly at: number;
    }
  /** `&:strip` as the last argument. */
  | { readonly k: "blockpass"; readonly name: string; readonly at: number }
  | { readonly k: "not"; readonly operand: Node; readonly at: number }
  | { readonly k: "and" | "or"; readonly left: Node; readonly right: Node; readonly at: number }
  | { readonly k: "binary"; readonly op: string; readonly left: Node; readonly right: Node; readonly at: number }
  | { readonly k: "range"; readonly from: Node; readonly to: Node; readonly exclusive: boolean; readonly at: number }
  | { readonly k: "if"; readonly condition: Node; readonly then: readonly Node[]; readonly otherwise: readonly Node[]; readonly at: number }
  | { readonly k: "seq"; readonly body: readonly Node[]; readonly at: number };

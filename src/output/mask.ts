// The second safety net: commands are printed redacted already, but a secret can still reach a
// line through remote output, an error message or a hook. Every registered secret value is
// replaced by [REDACTED] in every line before it is written.

import { REDACTED, quote } from "../core/cmd.js";

/** Values shorter than this are not masked: masking "1" or "no" would garble every line. */
export const MIN_MASKED_LENGTH = 4;
/** Lines of a multi-line secret (PEM keys) are masked one by one when at least this long. */
const MIN_MASKED_LINE_LENGTH = 8;

export class SecretMasker {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret and the escaped forms it takes inside printed shell commands. */
  add(value: string): void {
    const before = this.values.size;
    for (const variant of variantsOf(value)) {
      if (variant.length >= MIN_MASKED_LENGTH) this.values.add(variant);
    }
    for (const line of value.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_MASKED_LINE_LENGTH && trimmed !== value) this.values.add(trimmed);
    }
    if (this.values.size !== before) this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  mask(text: string): string {
    if (this.values.size === 0 || text === "") return text;
    this.pattern ??= buildPattern(this.values);
    return text.replace(this.pattern, REDACTED);
  }
}

function variantsOf(value: string): string[] {
  const variants = [value];
  // quote() (Kamal's escape_shell_value) and POSIX single quoting change how a value is printed.
  const dumped = quote(value);
  if (dumped.startsWith('"') && dumped.endsWith('"')) variants.push(dumped.slice(1, -1));
  if (value.includes("'")) variants.push(value.replace(/'/g, `'\\''`));
  // JSON-escaped form, for values that went through JSON.stringify before reaching a line.
  variants.push(JSON.stringify(value).slice(1, -1));
  return variants;
}

function buildPattern(values: ReadonlySet<string>): RegExp {
  // Longest first, so a secret that contains another is masked whole.
  const alternatives = [...values].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(alternatives.join("|"), "g");
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

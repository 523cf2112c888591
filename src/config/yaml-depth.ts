// YAML nested too deep: the one message for it, and where the parser's own stack overflow began.
import { LIMITS } from "./limits.js";

/** The offset of the first `[` or `{` nested deeper than the limit (quotes and comments skipped), if any. */
export function flowBracketPastLimit(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let offset = 0; offset < text.length; offset++) {
    const char = text[offset];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    else if (char === "#" && (offset === 0 || /\s/.test(text[offset - 1] as string))) {
      const end = text.indexOf("\n", offset);
      if (end === -1) return undefined;
      offset = end;
    } else if (char === "[" || char === "{") {
      depth += 1;
      if (depth > LIMITS.yamlDepth) return offset;
    } else if ((char === "]" || char === "}") && depth > 0) depth -= 1;
  }
  return undefined;
}

export function tooDeepMessage(): string {
  return `YAML: maps and lists nested more than ${LIMITS.yamlDepth} levels deep`;
}

// Validation driven by the zod schema, with Kamal's messages. zod alone would stop at a
// union ("invalid input") or report `unrecognized_keys` in bulk; Kamal users expect
// `servers/web/hosts/0: should be a string`, one unknown key at a time and every problem in
// one pass. So we walk the schema's structure ourselves: the same schema, Kamal's words.
import type { z } from "zod";
import { suggestKey } from "../errors.js";
import { hintOf, isOptional, unwrap } from "./meta.js";
import type { PathSegment, ValidationContext } from "./meta.js";
import { isHash } from "../model/values.js";

export interface SchemaIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** Point at the key (unknown keys) rather than the value. */
  readonly at: "key" | "value";
  readonly suggestion?: string;
  /** Where to point when it differs from `path`. */
  readonly locate?: readonly PathSegment[];
}

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: z.ZodType;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly items?: readonly z.ZodType[];
  readonly values?: readonly unknown[];
  readonly entries?: Record<string, unknown>;
  readonly checks?: readonly { _zod: { def: { check?: string; format?: string } } }[];
  readonly innerType?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return schema._zod.def as unknown as Def;
}

/** Validates a whole document; returns every issue in document order. */
export function validateWithSchema(value: unknown, schema: z.ZodType, path: readonly PathSegment[] = []): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const context: ValidationContext = {
    report(issuePath, message, options = {}) {
      issues.push({
        path: issuePath,
        message,
        at: options.at ?? "value",
        ...(options.suggestion === undefined ? {} : { suggestion: options.suggestion }),
        ...(options.locate === undefined ? {} : { locate: options.locate }),
      });
    },
    check(checkedValue, checkedSchema, checkedPath) {
      walk(checkedValue, checkedSchema, checkedPath, context);
    },
  };
  walk(value, schema, path, context);
  return issues;
}

function walk(value: unknown, schema: z.ZodType, path: readonly PathSegment[], context: ValidationContext): void {
  const target = unwrap(schema);
  const hint = hintOf(target);
  if (hint?.custom) {
    hint.custom(value, path, context);
    return;
  }
  const def = defOf(target);
  switch (def.type) {
    case "union": {
      const branch = def.options!.find((option) => matchesShape(value, option));
      if (branch) walk(value, branch, path, context);
      else context.report(path, `should be ${describe(target)}`);
      return;
    }
    case "object":
      walkObject(value, target, def, path, context);
      return;
    case "record": {
      if (!isHash(value)) {
        context.report(path, `should be ${describe(target)}`);
        return;
      }
      for (const [key, item] of Object.entries(value)) walk(item, def.valueType!, [...path, key], context);
      return;
    }
    case "array": {
      if (!Array.isArray(value)) {
        context.report(path, `should be ${describe(target)}`);
        return;
      }
      value.forEach((item, index) => walk(item, def.element!, [...path, index], context));
      return;
    }
    case "tuple": {
      if (!Array.isArray(value) || value.length !== def.items!.length) {
        context.report(path, `should be ${describe(target)}`);
        return;
      }
      value.forEach((item, index) => walk(item, def.items![index]!, [...path, index], context));
      return;
    }
    default:
      if (!matchesShape(value, target)) context.report(path, `should be ${describe(target)}`);
  }
}

function walkObject(value: unknown, schema: z.ZodType, def: Def, path: readonly PathSegment[], context: ValidationContext): void {
  if (!isHash(value)) {
    context.report(path, `should be ${describe(schema)}`);
    return;
  }
  const shape = def.shape!;
  const known = Object.keys(shape);
  const allowExtensions = hintOf(schema)?.allowExtensions === true;
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(shape, key) || (allowExtensions && key.startsWith("x-"))) continue;
    const suggestion = suggestKey(key, known);
    // Kamal names the map the key is in; the position is the key's own.
    // An empty key (`~:` or `"":`) would otherwise read as no key at all.
    context.report(path, `unknown key: ${key === "" ? '"" (an empty or null key)' : key}`, {
      at: "key",
      locate: [...path, key],
      ...(suggestion === undefined ? {} : { suggestion }),
    });
  }
  for (const [key, item] of Object.entries(value)) {
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (field) walk(item, field, [...path, key], context);
  }
  for (const [key, field] of Object.entries(shape)) {
    if (Object.hasOwn(value, key) || isOptional(field)) continue;
    const missing = hintOf(unwrap(field))?.missing;
    const message = missing?.message ?? "is required";
    context.report(missing?.atParent ? path : [...path, key], message);
  }
}

/** Whether the value has the schema's outer type (a union picks its branch by this). */
function matchesShape(value: unknown, schema: z.ZodType): boolean {
  const target = unwrap(schema);
  const def = defOf(target);
  switch (def.type) {
    case "string":
      return typeof value === "string";
    case "number": {
      if (typeof value !== "number" || Number.isNaN(value)) return false;
      const integer = def.checks?.some((check) => check._zod.def.format === "safeint") || hintOf(target)?.expected === "an integer";
      return integer ? Number.isInteger(value) : true;
    }
    case "boolean":
      return typeof value === "boolean";
    case "object":
    case "record":
      return isHash(value);
    case "array":
    case "tuple":
      return Array.isArray(value);
    case "union":
      return def.options!.some((option) => matchesShape(value, option));
    case "literal":
      return def.values!.includes(value);
    case "enum":
      return Object.values(def.entries!).includes(value);
    case "unknown":
    case "any":
      return true;
    default:
      return false;
  }
}

/** How a type reads after "should be": "a string", "an array or a hash", … */
export function describe(schema: z.ZodType): string {
  const target = unwrap(schema);
  const expected = hintOf(target)?.expected;
  if (expected) return expected;
  const def = defOf(target);
  switch (def.type) {
    case "string":
      return "a string";
    case "number":
      return "an integer";
    case "boolean":
      return "a boolean";
    case "object":
    case "record":
      return "a hash";
    case "array":
    case "tuple":
      return "an array";
    case "union": {
      const parts = def.options!.map((option) => describe(option));
      return [...new Set(parts)].join(" or ");
    }
    case "literal":
      return `one of: ${def.values!.join(", ")}`;
    case "enum":
      return `one of: ${Object.values(def.entries!).join(", ")}`;
    default:
      return "valid";
  }
}

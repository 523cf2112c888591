// Building blocks of the deploy.yml schema. Every key is a zod schema registered with its
// documentation (title, description, YAML example) and, where Kamal's validator has its own
// rule, a validation hint. From this one source come validation, `berth docs` and the JSON
// Schema.
import { z } from "zod";

export interface KeyDocumentation {
  readonly title: string;
  readonly description?: string;
  /** YAML snippets showing the key with a value, e.g. `app_port: 3000`. Several = alternatives. */
  readonly examples?: readonly string[];
  /** The key is a whole section documented by `berth docs <section>`. */
  readonly section?: string;
  /** Kamal's default, shown in docs and the JSON Schema. */
  readonly default?: unknown;
  /** The command line that overrides the setting (Berth's `x-berth` settings), e.g. `berth doctor --max-clock-skew <seconds>`. */
  readonly flag?: string;
}

export interface JsonSchemaMetadata {
  id?: string;
  title?: string;
  description?: string;
  default?: unknown;
  deprecated?: boolean;
}

/** What the JSON Schema generator attaches to each schema. */
export const jsonSchemaRegistry = z.registry<JsonSchemaMetadata>();

const documentation = new WeakMap<z.ZodType, KeyDocumentation>();

/** Documentation registered on exactly this schema (not through optional wrappers). */
export function ownDocumentationOf(schema: z.ZodType): KeyDocumentation | undefined {
  return documentation.get(schema);
}

/** A usage site may document a shared schema's optional wrapper; that wins over the shared one. */
export function documentationOf(schema: z.ZodType): KeyDocumentation | undefined {
  let current = schema;
  for (;;) {
    const doc = documentation.get(current);
    if (doc || current._zod.def.type !== "optional") return doc;
    current = (current._zod.def as unknown as { innerType: z.ZodType }).innerType;
  }
}

/** Kamal's validator rules that a plain type check can't express. */
export interface ValidationHint {
  /** How the type reads in "should be …", e.g. "a string" for scalars Kamal accepts as strings. */
  readonly expected?: string;
  /** A check of its own instead of the generic walk (env, host lists, registry credentials). */
  readonly custom?: CustomValidator;
  /** Message and placement when a required key is missing. */
  readonly missing?: { readonly message: string; readonly atParent?: boolean };
  /** Root only: `x-` keys hold YAML anchors and are ignored. */
  readonly allowExtensions?: boolean;
}

export type PathSegment = string | number;

export interface ValidationContext {
  /** `locate` points at a more precise place than `path` (e.g. the unknown key inside a map). */
  report(
    path: readonly PathSegment[],
    message: string,
    options?: { at?: "key" | "value"; suggestion?: string; locate?: readonly PathSegment[] },
  ): void;
  /** Validates `value` against `schema` at `path` with the generic rules. */
  check(value: unknown, schema: z.ZodType, path: readonly PathSegment[]): void;
}

export type CustomValidator = (value: unknown, path: readonly PathSegment[], context: ValidationContext) => void;

const hints = new WeakMap<z.ZodType, ValidationHint>();

export function hintOf(schema: z.ZodType): ValidationHint | undefined {
  return hints.get(schema);
}

export function withHint<T extends z.ZodType>(schema: T, hint: ValidationHint): T {
  hints.set(schema, { ...hints.get(schema), ...hint });
  return schema;
}

/** Strips optional wrappers to reach the schema that carries documentation and hints. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current._zod.def.type === "optional") {
    current = (current._zod.def as unknown as { innerType: z.ZodType }).innerType;
  }
  return current;
}

export function isOptional(schema: z.ZodType): boolean {
  return schema._zod.def.type === "optional";
}

/** Registers a key's documentation (and its JSON Schema description) on a schema. */
export function documented<T extends z.ZodType>(schema: T, doc: KeyDocumentation, meta: JsonSchemaMetadata = {}): T {
  documentation.set(schema, doc);
  const description = doc.description ? `${doc.title}. ${doc.description}` : doc.title;
  jsonSchemaRegistry.add(schema, {
    ...jsonSchemaRegistry.get(schema),
    description,
    ...(doc.default === undefined ? {} : { default: doc.default }),
    ...meta,
  });
  return schema;
}

// Scalars as Kamal's validator sees them --------------------------------------------------

/** Kamal accepts strings, symbols, numbers and booleans wherever its example is a string. */
export function str(): z.ZodUnion<[z.ZodString, z.ZodNumber, z.ZodBoolean]> {
  return withHint(z.union([z.string(), z.number(), z.boolean()]), { expected: "a string" });
}

export function int(): z.ZodNumber {
  return withHint(z.number().int(), { expected: "an integer" });
}

export function bool(): z.ZodBoolean {
  return withHint(z.boolean(), { expected: "a boolean" });
}

/** A list whose items follow `item`. */
export function list<T extends z.ZodType>(item: T): z.ZodArray<T> {
  return withHint(z.array(item), { expected: "an array" });
}

/** A map from names to `value` (labels, env, accessories…). */
export function hashOf<T extends z.ZodType>(value: T): z.ZodRecord<z.ZodString, T> {
  return withHint(z.record(z.string(), value), { expected: "a hash" });
}

/** Free-form docker options: any keys, any values. */
export function anyHash(): z.ZodRecord<z.ZodString, z.ZodUnknown> {
  return withHint(z.record(z.string(), z.unknown()), { expected: "a hash" });
}

/** A map with a fixed set of keys; any other key is reported as unknown. */
export function section<T extends z.core.$ZodLooseShape>(shape: T): z.ZodObject<T, z.core.$strict> {
  return withHint(z.strictObject(shape), { expected: "a hash" });
}

/** One of several shapes, chosen by the value's type (`ssl: true` or `ssl: {…}`). */
export function oneOf<T extends readonly [z.ZodType, z.ZodType, ...z.ZodType[]]>(options: T): z.ZodUnion<T> {
  return z.union(options);
}

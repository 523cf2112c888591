// One schema, three uses: validation, `berth docs`, and the JSON Schema for editors.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import type { z } from "zod";
import { describe, expect, it } from "vitest";
import { DOC_SECTIONS, deploySchema, docs, jsonSchema } from "../../../src/config/index.js";
import { renderErb } from "../../../src/config/erb.js";
import { deepMerge } from "../../../src/config/merge.js";
import { documentationOf, unwrap } from "../../../src/config/schema/meta.js";
import { jsonSchemaText } from "../../../src/config/schema/json-schema.js";
import { validateWithSchema } from "../../../src/config/schema/validate.js";
import { parseYaml } from "../../../src/config/yaml.js";
import { BASE, FIXTURES } from "./helpers.js";

const SCHEMA_FILE = fileURLToPath(new URL("../../../schema/deploy.schema.json", import.meta.url));
const ERB_ENV = { SERVICE_NAME: "erbapp", IMAGE_OWNER: "me", PADDED: " x " };

/** Every fixture as Kamal would see it (ERB rendered, destination files merged over their base). */
function fixtureDocuments(): { name: string; value: unknown }[] {
  const files = readdirSync(FIXTURES).filter((file) => file.endsWith(".yml"));
  const load = (file: string, destination: string): unknown =>
    parseYaml(renderErb(readFileSync(join(FIXTURES, file), "utf8"), { file, env: { ...ERB_ENV, KAMAL_DESTINATION: destination }, yaml: true }), file).value;
  return files.map((file) => {
    const [base, destination] = file.split(".");
    const value = destination === "yml" ? load(file, "production") : deepMerge(load(`${base}.yml`, destination!), load(file, destination!));
    return { name: file, value };
  });
}

interface DocumentedKey {
  readonly path: string;
  readonly schema: z.ZodType;
}

/** Every key of every map in the schema, with its path. */
function documentedKeys(schema: z.ZodType, path: string, out: DocumentedKey[], seen = new Set<z.ZodType>()): DocumentedKey[] {
  const target = unwrap(schema);
  if (seen.has(target)) return out;
  seen.add(target);
  const def = target._zod.def as unknown as Record<string, unknown> & { type: string };
  if (def.type === "object") {
    for (const [key, field] of Object.entries(def.shape as Record<string, z.ZodType>)) {
      out.push({ path: `${path}${key}`, schema: field });
      documentedKeys(field, `${path}${key}/`, out, seen);
    }
  } else if (def.type === "union") {
    for (const option of def.options as z.ZodType[]) documentedKeys(option, path, out, seen);
  } else if (def.type === "record") {
    documentedKeys(def.valueType as z.ZodType, `${path}*/`, out, seen);
  } else if (def.type === "array") {
    documentedKeys(def.element as z.ZodType, `${path}0/`, out, seen);
  }
  return out;
}

/** A map whose keys are each documented (x-berth's sections): its keys are its examples. */
function documentedKeyByKey(schema: z.ZodType): boolean {
  const def = unwrap(schema)._zod.def as unknown as { type: string; shape?: Record<string, z.ZodType> };
  return def.type === "object" && Object.values(def.shape ?? {}).every((child) => documentationOf(child)?.examples !== undefined);
}

describe("JSON Schema", () => {
  it("is committed in schema/deploy.schema.json exactly as generated (npm run schema)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(jsonSchemaText());
  });

  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(jsonSchema());

  it("accepts every valid fixture", () => {
    for (const { name, value } of fixtureDocuments()) {
      expect({ name, valid: validate(value), errors: validate.errors ?? null }).toEqual({ name, valid: true, errors: null });
    }
  });

  it("rejects unknown keys, nested x- keys and wrong types, but allows x- keys at the root", () => {
    const base = parse(BASE) as Record<string, unknown>;
    expect(validate({ ...base, "x-anchor": { anything: 1 } })).toBe(true);
    expect(validate({ ...base, servrs: [] })).toBe(false);
    expect(validate({ ...base, proxy: { "x-note": 1 } })).toBe(false);
    expect(validate({ ...base, proxy: { app_port: "3000" } })).toBe(false);
    expect(validate({ ...base, proxy: false })).toBe(false);
    const { builder: _builder, ...withoutBuilder } = base;
    expect(validate(withoutBuilder)).toBe(false);
  });

  it("checks x-berth like every other key", () => {
    const base = parse(BASE) as Record<string, unknown>;
    expect(validate({ ...base, "x-berth": { atomic: true, release: { cmd: "bin/migrate", timeout: 60 }, doctor: { max_clock_skew: 2 } } })).toBe(true);
    expect(validate({ ...base, "x-berth": { atomic: "yes" } })).toBe(false);
    expect(validate({ ...base, "x-berth": { releas: {} } })).toBe(false);
    expect(validate({ ...base, "x-berth": { release: { timeout: 60 } } })).toBe(false);
  });

  it("describes keys with their docs, defaults and examples", () => {
    const schema = jsonSchema() as { $defs: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    const appPort = schema.$defs.proxy!.properties.app_port!;
    expect(appPort.description).toBe("App port. The port the app listens on inside its container.");
    expect(appPort.default).toBe(80);
    expect(appPort.examples).toEqual([3000]);
    expect(appPort.type).toBe("integer");
  });
});

describe("zod schema", () => {
  it("parses every valid fixture", () => {
    for (const { name, value } of fixtureDocuments()) {
      const result = deploySchema.safeParse(value);
      expect({ name, success: result.success }).toEqual({ name, success: true });
    }
  });

  const keys = documentedKeys(deploySchema, "", []);

  it("documents every key with a title, a description and an example", () => {
    expect(keys.length).toBeGreaterThan(150);
    const undocumented = keys.filter(({ schema }) => {
      const doc = documentationOf(schema);
      return !doc?.title || !doc.description || (!doc.examples && !doc.section && !documentedKeyByKey(schema));
    });
    expect(undocumented.map(({ path }) => path)).toEqual([]);
  });

  it("has examples that pass its own validation", () => {
    const failures: string[] = [];
    for (const { path, schema } of keys) {
      for (const example of documentationOf(schema)?.examples ?? []) {
        const parsed = parseYaml(example, path).value as Record<string, unknown>;
        const issues = validateWithSchema(Object.values(parsed)[0], schema);
        if (issues.length > 0) failures.push(`${path}: ${issues[0]!.message}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("docs", () => {
  it("documents each section Kamal documents", () => {
    expect(DOC_SECTIONS).toEqual([
      "configuration", "accessory", "alias", "boot", "builder", "env", "logging", "output", "proxy", "registry", "role",
      "servers", "ssh", "sshkit", "x-berth",
    ]);
  });

  it("documents x-berth key by key, with defaults and the flags that override them", () => {
    const text = docs("x-berth");
    expect(text).toContain("\nx-berth:\n  # Release\n");
    expect(text).toContain("  release:\n    # Release command\n");
    expect(text).toContain("    timeout: 600\n");
    expect(text).toContain("  atomic: true\n");
    expect(text).toMatch(/Default: `5`\.\n {4}# Command line: `berth doctor --min-free-disk-gb <n>`\.\n {4}min_free_disk_gb: 5\n/);
    expect(docs()).toContain("# See `berth docs x-berth`.\nx-berth:\n  ...\n");
  });

  it("renders a commented YAML example per section that parses as YAML", () => {
    for (const section of DOC_SECTIONS) {
      const text = docs(section);
      expect(text.startsWith("# ")).toBe(true);
      expect(() => parse(text, { uniqueKeys: false })).not.toThrow();
    }
  });

  it("renders the proxy section from the schema's documentation", () => {
    const text = docs("proxy");
    expect(text).toContain("# Proxy\n#\n# Routing for the app through the proxy");
    expect(text).toContain("\nproxy:\n  # Host\n");
    expect(text).toContain("  # App port\n  #\n  # The port the app listens on inside its container. Default: `80`.\n  app_port: 3000\n");
    expect(text).toContain("  healthcheck:\n    path: /health\n");
  });

  it("nests role and accessory keys the way they are written", () => {
    expect(docs("role")).toContain("\nservers:\n  workers:\n    # Hosts\n");
    expect(docs("accessory")).toContain("\naccessories:\n  mysql:\n    # Service name\n");
  });

  it("points root sections at their own docs; root is an alias of configuration", () => {
    const root = docs();
    expect(docs("root")).toBe(root);
    expect(root).toContain("# See `berth docs proxy`.\nproxy:\n  ...\n");
    expect(root).toContain("service: myapp\n");
  });

  it("lists the sections for an unknown one", () => {
    expect(() => docs("proxxy")).toThrow(
      "No documentation found for proxxy; sections are: root, configuration, accessory, alias, boot, builder, env, logging, output, proxy, registry, role, servers, ssh, sshkit",
    );
  });
});

// `berth docs [section]`: the reference for each part of deploy.yml, rendered from the
// schema's own documentation as a commented YAML example (like Kamal's docs/*.yml).
import type { z } from "zod";
import { BerthError } from "../../util/errors.js";
import { accessorySchema } from "./accessory.js";
import { aliasesSchema } from "./alias.js";
import { berthSchema } from "./berth.js";
import { bootSchema } from "./boot.js";
import { builderSchema } from "./builder.js";
import { envDocumentationShape, rootEnvSchema } from "./env.js";
import { loggingSchema } from "./logging.js";
import { documentationOf, unwrap } from "./meta.js";
import { outputSchema } from "./output.js";
import { proxySchema } from "./proxy.js";
import { registrySchema } from "./registry.js";
import { deploySchema } from "./root.js";
import { roleSchema, roleSettingsSchema, serversSchema } from "./servers.js";
import { sshSchema } from "./ssh.js";
import { sshkitSchema } from "./sshkit.js";

interface SectionSpec {
  /** The schema whose documentation gives the title and introduction. */
  readonly schema: z.ZodType;
  /** Keys the documented block is nested under, e.g. `accessories: mysql:`. */
  readonly wrapper: readonly string[];
  /** The keys documented one by one; absent for sections shown by example only. */
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  /** Notes after the keys, or instead of them. */
  readonly notes?: readonly { readonly title: string; readonly text: string; readonly example?: string }[];
}

function shapeOf(schema: z.ZodType): Readonly<Record<string, z.ZodType>> {
  return (unwrap(schema)._zod.def as unknown as { shape: Record<string, z.ZodType> }).shape;
}

const SECTIONS: Readonly<Record<string, SectionSpec>> = {
  configuration: {
    schema: deploySchema,
    wrapper: [],
    shape: shapeOf(deploySchema),
    notes: [
      {
        title: "Destinations",
        text: "With `-d staging`, `config/deploy.staging.yml` is read too and merged over `config/deploy.yml`: maps are merged key by key, lists and values are replaced.",
      },
      {
        title: "Extensions",
        text: "Unknown keys are errors, but root keys starting with `x-` are ignored, so they can hold YAML anchors to reuse elsewhere. `x-berth` is the exception: it holds Berth's own settings (`berth docs x-berth`), checked like every other key; Kamal ignores it.",
        example: "x-web: &web\n  cmd: bin/web\nservers:\n  web:\n    <<: *web\n    hosts:\n      - 10.0.0.1",
      },
      {
        title: "ERB",
        text:
          "The files are rendered as ERB first, as Kamal renders them (`<%= %>`, `<% %>`, `<%#`, `<%-`, `-%>`). Berth evaluates the Ruby configs use: " +
          "`ENV[\"X\"]`, `ENV.fetch(\"X\", \"default\")`, `ENV.fetch(\"X\") { … }`, `ENV.key?`, backtick and `%x()` commands, strings with `#{}`, integers, arrays, ranges, " +
          "local variables, `if`/`elsif`/`else`/`unless` (also as modifiers), `each`/`map`/`each_with_index`/`times` blocks, `? :`, `&&`, `||`, `!`, `and`/`or`/`not`, " +
          "`==`, `!=`, `<`, `>`, `+`, `-`, `*`, `/`, `&.`, and `present?`, `blank?`, `presence`, `nil?`, `empty?`, `strip`, `chomp`, `split`, `first`, `last`, `join`, " +
          "`to_i`, `to_s`, `downcase`, `upcase`, `include?`, `start_with?`, `length`. Other Ruby is an error naming its line, except inside a YAML comment, where its " +
          "output would be discarded: there it renders as nothing. A command that fails stops the load (Kamal would use its output).",
        example: 'servers:\n  web:\n<% ENV.fetch("WEB_HOSTS", "10.0.0.1").split(",").each do |host| -%>\n    - <%= host.strip %>\n<% end -%>',
      },
    ],
  },
  accessory: { schema: accessorySchema, wrapper: ["accessories", "mysql"], shape: shapeOf(accessorySchema) },
  alias: {
    schema: aliasesSchema,
    wrapper: [],
    notes: [
      {
        title: "Defining aliases",
        text: "Each entry maps a name to a command line. Extra arguments are appended when the alias runs.",
        example: 'aliases:\n  console: app exec -i --reuse "bin/rails console"\n  logs: app logs -f\n  dbc: accessory exec mysql -i "mysql -uroot"',
      },
    ],
  },
  boot: { schema: bootSchema, wrapper: ["boot"], shape: shapeOf(bootSchema) },
  builder: { schema: builderSchema, wrapper: ["builder"], shape: shapeOf(builderSchema) },
  env: {
    schema: rootEnvSchema,
    wrapper: ["env"],
    shape: envDocumentationShape,
    notes: [
      {
        title: "Flat form",
        text: "Without `clear`, `secret` or `tags`, every entry is a clear value.",
        example: "env:\n  DATABASE_HOST: db.internal\n  RAILS_ENV: production",
      },
      {
        title: "Roles and hosts",
        text: "Roles and accessories take `env` too (without tags). A host gets root env, then its role's, then that of each of its tags.",
      },
    ],
  },
  logging: { schema: loggingSchema, wrapper: ["logging"], shape: shapeOf(loggingSchema) },
  output: { schema: outputSchema, wrapper: ["output"], shape: shapeOf(outputSchema) },
  proxy: {
    schema: proxySchema,
    wrapper: ["proxy"],
    shape: shapeOf(proxySchema),
    notes: [
      {
        title: "Proxy per role",
        text: "The primary role is proxied unless it sets `proxy: false`. Other roles are proxied with `proxy: true`, or with a map that is merged over the root `proxy`.",
        example: "servers:\n  web:\n    hosts:\n      - 10.0.0.1\n  api:\n    hosts:\n      - 10.0.0.2\n    proxy:\n      host: api.example.com",
      },
    ],
  },
  registry: { schema: registrySchema, wrapper: ["registry"], shape: shapeOf(registrySchema) },
  role: { schema: roleSchema, wrapper: ["servers", "workers"], shape: shapeOf(roleSettingsSchema) },
  servers: {
    schema: serversSchema,
    wrapper: [],
    notes: [
      {
        title: "A list of hosts",
        text: "A plain list is the single role `web`.",
        example: "servers:\n  - 10.0.0.1\n  - 10.0.0.2",
      },
      {
        title: "Roles",
        text: "A map names roles. Each is a host list, or a map with `hosts` and role settings (see `berth docs role`). Roles are ordered by name; the primary role (`web` unless `primary_role` says otherwise) boots first.",
        example: "servers:\n  web:\n    - 10.0.0.1\n    - 10.0.0.2: canary\n  workers:\n    hosts:\n      - 10.0.0.3\n    cmd: bin/jobs",
      },
    ],
  },
  ssh: { schema: sshSchema, wrapper: ["ssh"], shape: shapeOf(sshSchema) },
  sshkit: { schema: sshkitSchema, wrapper: ["sshkit"], shape: shapeOf(sshkitSchema) },
  "x-berth": { schema: berthSchema, wrapper: ["x-berth"], shape: shapeOf(berthSchema) },
};

/** Section names `berth docs` accepts (`root` is an alias of `configuration`). */
export const DOC_SECTIONS: readonly string[] = Object.keys(SECTIONS);
export type DocSection = keyof typeof SECTIONS;

const WIDTH = 90;

function wrap(textBlock: string, prefix: string): string[] {
  const lines: string[] = [];
  for (const paragraph of textBlock.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter((item) => item !== "")) {
      if (line !== "" && prefix.length + line.length + 1 + word.length > WIDTH) {
        lines.push(`${prefix}${line}`);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line === "" ? prefix.trimEnd() : `${prefix}${line}`);
  }
  return lines;
}

function comment(title: string, body: string | undefined, indent: string): string[] {
  const prefix = `${indent}# `;
  return [`${prefix}${title}`, ...(body ? [`${indent}#`, ...wrap(body, prefix)] : [])];
}

function indentBlock(block: string, indent: string): string[] {
  return block.split("\n").map((line) => (line === "" ? "" : `${indent}${line}`));
}

function formatDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : String(value);
}

function renderKey(key: string, schema: z.ZodType, indent: string): string[] {
  const doc = documentationOf(schema);
  if (!doc) return [`${indent}${key}: ...`];
  const description = [
    doc.description,
    doc.default === undefined ? undefined : `Default: \`${formatDefault(doc.default)}\`.`,
    doc.flag === undefined ? undefined : `Command line: \`${doc.flag}\`.`,
  ]
    .filter((part) => part !== undefined)
    .join(" ");
  const lines = comment(doc.title, description || undefined, indent);
  if (doc.section && !doc.examples) {
    lines.push(`${indent}#`, `${indent}# See \`berth docs ${doc.section}\`.`, `${indent}${key}:`, `${indent}  ...`);
    return lines;
  }
  const nested = doc.examples === undefined ? nestedShape(schema) : undefined;
  if (nested !== undefined) {
    // A map documented key by key (x-berth's): its keys below it, each with its own comment.
    lines.push(`${indent}${key}:`);
    Object.entries(nested).forEach(([child, childSchema], index) => {
      if (index > 0) lines.push("");
      lines.push(...renderKey(child, childSchema, `${indent}  `));
    });
    return lines;
  }
  for (const example of doc.examples ?? [`${key}: ...`]) lines.push(...indentBlock(example, indent));
  return lines;
}

/** The keys of a map whose every key is documented, else undefined. */
function nestedShape(schema: z.ZodType): Readonly<Record<string, z.ZodType>> | undefined {
  const def = unwrap(schema)._zod.def as unknown as { type: string; shape?: Record<string, z.ZodType> };
  if (def.type !== "object" || def.shape === undefined) return undefined;
  return Object.values(def.shape).every((child) => documentationOf(child) !== undefined) ? def.shape : undefined;
}

/** The documentation text for a section (default: the whole configuration). */
export function docs(section = "configuration"): string {
  const name = section === "root" ? "configuration" : section;
  const spec = SECTIONS[name];
  if (!spec) {
    throw new BerthError(`No documentation found for ${section}; sections are: ${["root", ...DOC_SECTIONS].join(", ")}`);
  }
  const doc = documentationOf(spec.schema);
  const lines: string[] = [...comment(doc?.title ?? name, doc?.description, ""), ""];
  let indent = "";
  for (const key of spec.wrapper) {
    lines.push(`${indent}${key}:`);
    indent += "  ";
  }
  if (spec.shape) {
    const entries = Object.entries(spec.shape);
    entries.forEach(([key, schema], index) => {
      lines.push(...renderKey(key, schema, indent));
      if (index < entries.length - 1) lines.push("");
    });
  }
  for (const note of spec.notes ?? []) {
    if (lines.at(-1) !== "") lines.push("");
    lines.push(...comment(note.title, note.text, ""));
    // Shown as comments so the whole text stays one valid YAML example.
    if (note.example) lines.push("#", "# ```yaml", ...note.example.split("\n").map((line) => `# ${line}`.trimEnd()), "# ```");
  }
  return `${lines.join("\n")}\n`;
}

// What `kamal config` prints: the resolved configuration summary, in Kamal's key order
// (Configuration#to_h), with secret values redacted.
import { Document, Scalar, visit } from "yaml";
import { RubySymbol } from "./model/values.js";

/** What the document is made of: the Configuration (an interface, so the model's import of this file is no cycle). */
export interface DocumentSource {
  readonly raw: Readonly<Record<string, unknown>>;
  readonly roles: readonly { readonly name: string }[];
  readonly allHosts: readonly string[];
  readonly primaryHost: string | undefined;
  readonly version: string;
  readonly repository: string;
  readonly absoluteImage: string;
  readonly serviceWithVersion: string;
  readonly volumeArgs: readonly string[];
  readonly ssh: { toH(): Readonly<Record<string, unknown>> };
  readonly sshkit: { toH(): Readonly<Record<string, unknown>> };
  readonly builder: { toH(): Readonly<Record<string, unknown>> };
  readonly logging: { args(): readonly unknown[] };
}

export interface KamalDocument {
  readonly roles: readonly string[];
  readonly hosts: readonly string[];
  readonly primary_host?: string;
  readonly version: string;
  readonly repository: string;
  readonly absolute_image: string;
  readonly service_with_version: string;
  readonly volume_args: readonly string[];
  readonly ssh_options: Readonly<Record<string, unknown>>;
  readonly sshkit: Readonly<Record<string, unknown>>;
  readonly builder: Readonly<Record<string, unknown>>;
  readonly accessories?: Readonly<Record<string, unknown>>;
  readonly logging: readonly string[];
}

export function toKamalDocument(config: DocumentSource): KamalDocument {
  const accessories = config.raw.accessories;
  return {
    roles: config.roles.map((role) => role.name),
    hosts: config.allHosts,
    ...(config.primaryHost === undefined ? {} : { primary_host: config.primaryHost }),
    version: config.version,
    repository: config.repository,
    absolute_image: config.absoluteImage,
    service_with_version: config.serviceWithVersion,
    volume_args: config.volumeArgs,
    ssh_options: config.ssh.toH(),
    sshkit: config.sshkit.toH(),
    builder: config.builder.toH(),
    ...(accessories === undefined || accessories === null ? {} : { accessories: accessories as Record<string, unknown> }),
    logging: config.logging.args().map(String),
  };
}

/** Ruby prints the symbol keys of `to_h` (and of `ssh_options`) with a leading colon. */
function withSymbolKeys(document: KamalDocument): Record<string, unknown> {
  const symbolized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    symbolized[`:${key}`] =
      key === "ssh_options"
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([option, setting]) => [`:${option}`, setting]))
        : value;
  }
  return symbolized;
}

/** The document as `kamal config` prints it (YAML, Ruby-style symbol keys). */
export function toYaml(config: DocumentSource, options: { symbolKeys?: boolean } = {}): string {
  const document = toKamalDocument(config);
  const value = options.symbolKeys === false ? document : withSymbolKeys(document);
  const symbols = new Set<Scalar>();
  const yaml = new Document(value, (_key: unknown, item: unknown) => {
    if (!(item instanceof RubySymbol)) return item;
    const scalar = new Scalar(`:${item.name}`);
    scalar.type = "PLAIN";
    symbols.add(scalar);
    return scalar;
  }, { version: "1.1" });
  // A plain `:text` reads back as a Symbol, so a string value that starts with a colon is quoted.
  visit(yaml, {
    Scalar(key, node) {
      if (key !== "key" && typeof node.value === "string" && node.value.startsWith(":") && !symbols.has(node)) node.type = "QUOTE_DOUBLE";
      // Psych quotes a string that starts like an octal number gone wrong (a commit like 0454…8…).
      else if (typeof node.value === "string" && /^0[0-7]*[89]/.test(node.value) && node.type !== "QUOTE_DOUBLE") node.type = "QUOTE_SINGLE";
    },
  });
  return yaml.toString({ indentSeq: false, directives: true, lineWidth: 0 });
}

export function toJson(config: DocumentSource): string {
  return `${JSON.stringify(toKamalDocument(config), null, 2)}\n`;
}

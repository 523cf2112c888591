// An accessory: a supporting service (database, cache…) run from its own image next to the
// app (Kamal's Configuration::Accessory).
import { resolve as resolvePath } from "node:path";
import type { SecretsLookup } from "../../secrets/types.js";
import { Env } from "./env.js";
import type { ResolvedEnv } from "./env.js";
import { ProxyConfig, type ProxyContext } from "./proxy.js";
import { Registry } from "./registry.js";
import { splitRestartPolicy, type Role } from "./role.js";
import { isHash, optionalText, present, text, textList, textMap } from "./values.js";
import type { DockerOptionValue } from "./values.js";
import { DEFAULT_ACCESSORY_FILE_MODE, DEFAULT_ACCESSORY_NETWORK } from "../defaults.js";


/** A local file uploaded to the host and mounted into the container. */
export interface AccessoryFile {
  /** Absolute path on this machine. */
  readonly local: string;
  /** `.erb` files are rendered (with the accessory's clear env) before upload. */
  readonly erb: boolean;
  /** Path inside the container. */
  readonly remote: string;
  /** Path on the host, relative to the SSH user's home: `<accessory service><remote>`. */
  readonly hostPath: string;
  readonly mode: string;
  readonly owner: string | undefined;
  readonly options: string | undefined;
  /** The `--volume` value: `$PWD/<hostPath>:<remote>[:options]`. */
  readonly volume: string;
}

/** A host directory created before boot and mounted into the container. */
export interface AccessoryDirectory {
  /** Absolute, or `$PWD/<accessory service>/<local>` for relative paths. */
  readonly hostPath: string;
  readonly containerPath: string;
  readonly mode: string | undefined;
  readonly owner: string | undefined;
  readonly options: string | undefined;
  readonly volume: string;
}

interface PathMapping {
  readonly local: string;
  readonly remote: string;
  readonly mode: string | undefined;
  readonly owner: string | undefined;
  readonly options: string | undefined;
}

function pathMapping(entry: unknown): PathMapping {
  if (isHash(entry)) {
    return {
      local: text(entry.local),
      remote: text(entry.remote),
      mode: optionalText(entry.mode),
      owner: optionalText(entry.owner),
      options: optionalText(entry.options),
    };
  }
  const [local = "", remote = "", ...options] = text(entry).split(":");
  return { local, remote, mode: undefined, owner: undefined, options: options.length > 0 ? options.join(":") : undefined };
}

/** What an accessory reads of the configuration around it (the Configuration, seen from below). */
export interface AccessoryContext extends ProxyContext {
  readonly service: string;
  readonly raw: Readonly<Record<string, unknown>>;
  readonly roles: readonly Role[];
  role(name: string): Role | undefined;
  readonly envDirectory: string;
  /** Where relative local file paths are resolved from. */
  readonly cwd: string;
  readonly secretsLookup: SecretsLookup | undefined;
}

export class Accessory {
  private readonly settings: Readonly<Record<string, unknown>>;
  /** Env for the container (clear and secret; no tags). */
  readonly env: Env;
  readonly registry: Registry | null;
  readonly proxy: ProxyConfig | null;

  constructor(
    readonly name: string,
    private readonly config: AccessoryContext,
    accessoryConfig: unknown,
  ) {
    this.settings = isHash(accessoryConfig) ? accessoryConfig : {};
    this.env = Env.from(this.settings.env);
    this.registry = present(this.settings.registry) ? Registry.from(this.settings.registry, config.secretsLookup, `accessories/${name}/registry`) : null;
    this.proxy = this.runningProxy ? new ProxyConfig(config, isHash(this.settings.proxy) ? this.settings.proxy : {}, config.secretsLookup) : null;
  }

  /** The raw settings, as `kamal config` prints them. */
  get raw(): Readonly<Record<string, unknown>> {
    return this.settings;
  }

  /** Container name and `service` label: `<service>-<name>` unless set. */
  get serviceName(): string {
    return optionalText(this.settings.service) ?? `${this.config.service}-${this.name}`;
  }

  /** The image, prefixed with the accessory's own registry server when it has one. */
  get image(): string {
    return [this.registry?.server, optionalText(this.settings.image)].filter((part) => part !== undefined).join("/");
  }

  get hosts(): string[] {
    const settings = this.settings;
    if ("host" in settings) return settings.host === null || settings.host === undefined ? [] : [text(settings.host)];
    if ("hosts" in settings) return textList(settings.hosts);
    if ("role" in settings) return this.config.role(text(settings.role))?.hosts ?? [];
    if ("roles" in settings) return unique(textList(settings.roles).flatMap((role) => this.config.role(role)?.hosts ?? []));
    if ("tag" in settings) return this.hostsTagged([text(settings.tag)]);
    if ("tags" in settings) return this.hostsTagged(textList(settings.tags));
    return [];
  }

  /** Hosts carrying any of the tags, in the order roles are written in `servers`. */
  private hostsTagged(tags: readonly string[]): string[] {
    const servers = this.config.raw.servers;
    const roleNames = isHash(servers) ? Object.keys(servers) : this.config.roles.map((role) => role.name);
    const roles = roleNames.flatMap((name) => this.config.role(name) ?? []);
    return unique(roles.flatMap((role) => role.hosts.filter((host) => role.tagsFor(host).some((tag) => tags.includes(tag)))));
  }

  /** `3306` becomes `3306:3306`; mappings with a colon are kept. */
  get port(): string | undefined {
    const port = optionalText(this.settings.port);
    if (port === undefined) return undefined;
    return port.includes(":") ? port : `${port}:${port}`;
  }

  get cmd(): string | undefined {
    return optionalText(this.settings.cmd);
  }

  get network(): string {
    return optionalText(this.settings.network) ?? DEFAULT_ACCESSORY_NETWORK;
  }

  get labels(): Readonly<Record<string, string>> {
    return { service: this.serviceName, ...textMap(this.settings.labels) };
  }

  get options(): Readonly<Record<string, DockerOptionValue>> {
    return splitRestartPolicy(this.settings.options).options;
  }

  get restartPolicy(): string {
    return splitRestartPolicy(this.settings.options).restartPolicy;
  }

  resolvedEnv(): ResolvedEnv {
    return this.env.resolved();
  }

  get envDirectory(): string {
    return `${this.config.envDirectory}/accessories`;
  }

  /** The secrets env file on the host: `.kamal/apps/<svc>[-dest]/env/accessories/<name>.env`. */
  get envFilePath(): string {
    return `${this.envDirectory}/${this.name}.env`;
  }

  /** Where the accessory's files and directories live on the host. */
  get serviceDataDirectory(): string {
    return `$PWD/${this.serviceName}`;
  }

  get files(): AccessoryFile[] {
    return (Array.isArray(this.settings.files) ? this.settings.files : []).map((entry) => {
      const mapping = pathMapping(entry);
      const hostPath = `${this.serviceName}${mapping.remote}`;
      return {
        local: resolvePath(this.config.cwd, mapping.local),
        erb: mapping.local.endsWith("erb"),
        remote: mapping.remote,
        hostPath,
        mode: mapping.mode ?? DEFAULT_ACCESSORY_FILE_MODE,
        owner: mapping.owner,
        options: mapping.options,
        volume: [`$PWD/${hostPath}`, mapping.remote, mapping.options].filter((part) => part !== undefined).join(":"),
      };
    });
  }

  get directories(): AccessoryDirectory[] {
    return (Array.isArray(this.settings.directories) ? this.settings.directories : []).map((entry) => {
      const mapping = pathMapping(entry);
      const hostPath = mapping.local.startsWith("/") ? mapping.local : `${this.serviceDataDirectory}/${mapping.local}`;
      return {
        hostPath,
        containerPath: mapping.remote,
        mode: mapping.mode,
        owner: mapping.owner,
        options: mapping.options,
        volume: [hostPath, mapping.remote, mapping.options].filter((part) => part !== undefined).join(":"),
      };
    });
  }

  /** `volumes`, then files, then directories, as `--volume` values. */
  get volumes(): string[] {
    return [...textList(this.settings.volumes), ...this.files.map((file) => file.volume), ...this.directories.map((directory) => directory.volume)];
  }

  get runningProxy(): boolean {
    return present(this.settings.proxy);
  }
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

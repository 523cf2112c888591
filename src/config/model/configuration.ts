// The resolved configuration: validated deploy.yml (merged with the destination file) with
// Kamal's defaults and derived names. Built by `loadConfig`; everything here is pure and
// cheap except `version`, which may run git once, on first use. The settings read as they are
// (top-level-settings.ts) and the layout on the servers (remote-layout.ts) are its base classes.
import type { SecretsLookup } from "../../secrets/types.js";
import { BerthError } from "../../util/errors.js";
import { toJson, toKamalDocument, toYaml } from "../document.js";
import type { KamalDocument } from "../document.js";
import { resolveVersion } from "../version.js";
import { Accessory } from "./accessory.js";
import { BerthSettings } from "./berth.js";
import { Builder } from "./builder.js";
import { Env, EnvTag } from "./env.js";
import { Logging } from "./logging.js";
import { ProxyConfig, type ProxyContext } from "./proxy.js";
import { ProxyBoot } from "./proxy-boot.js";
import type { ProxyRun } from "./proxy-run.js";
import { Registry } from "./registry.js";
import { Role } from "./role.js";
import { select } from "./selection.js";
import type { SelectionOptions , Selection} from "./selection.js";
import { Ssh } from "./ssh.js";
import { Alias, Boot, Output, Sshkit } from "./small.js";
import { RemoteLayout } from "./remote-layout.js";
import { isHash, optionalText, text, textList, textMap } from "./values.js";
import { DEFAULT_PRIMARY_ROLE } from "../defaults.js";

export interface ConfigurationOptions {
  readonly destination?: string;
  /** An explicit version (`--version`); otherwise `$VERSION`, otherwise git (see resolveVersion). */
  readonly version?: string;
  /** The environment (`$VERSION`, and what ERB saw). Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly secrets?: SecretsLookup;
  /** The project directory (relative paths, git). Defaults to process.cwd(). */
  readonly cwd?: string;
  /** The files the configuration was read from, for messages. */
  readonly configFile?: string;
  readonly destinationFile?: string;
}

export class Configuration extends RemoteLayout implements ProxyContext {
  readonly cwd: string;
  readonly configFile: string;
  readonly destinationFile: string | undefined;
  /** Secrets are read lazily through this (registry credentials, env files, certificates). */
  readonly secretsLookup: SecretsLookup | undefined;
  readonly registry: Registry;
  readonly proxyBoot: ProxyBoot;
  /** The root `proxy` section (roles merge theirs over it). */
  readonly proxy: ProxyConfig;
  readonly env: Env;
  readonly envTags: readonly EnvTag[];
  readonly logging: Logging;
  /** Roles in Kamal's order: by name (a host list is the single role `web`). */
  readonly roles: readonly Role[];
  readonly accessories: readonly Accessory[];
  readonly builder: Builder;
  readonly ssh: Ssh;
  readonly sshkit: Sshkit;
  readonly boot: Boot;
  readonly output: Output;
  readonly aliases: Readonly<Record<string, Alias>>;
  /** Berth's own settings (`x-berth`); a command with flags reads `berth.withFlags(…)`. */
  readonly berth: BerthSettings;

  private readonly explicitVersion: string | undefined;
  private readonly processEnv: Readonly<Record<string, string | undefined>>;
  private resolvedVersion: string | undefined;

  constructor(
    /** The merged, validated deploy.yml as parsed. */
    raw: Readonly<Record<string, unknown>>,
    options: ConfigurationOptions = {},
  ) {
    super(raw, options.destination);
    this.cwd = options.cwd ?? process.cwd();
    this.configFile = options.configFile ?? "config/deploy.yml";
    this.destinationFile = options.destinationFile;
    this.secretsLookup = options.secrets;
    this.explicitVersion = options.version === "" ? undefined : options.version;
    this.processEnv = options.env ?? process.env;

    this.registry = Registry.from(raw.registry, this.secretsLookup);
    this.proxyBoot = new ProxyBoot(this.runDirectory, this.serviceAndDestination);
    this.proxy = new ProxyConfig(this, isHash(raw.proxy) ? raw.proxy : {}, this.secretsLookup);
    this.env = Env.from(raw.env);
    const tags = isHash(raw.env) && isHash(raw.env.tags) ? raw.env.tags : {};
    this.envTags = Object.entries(tags).map(([name, config]) => new EnvTag(name, Env.from(config)));
    this.logging = Logging.from(raw.logging);
    this.roles = this.roleNames.map((name) => new Role(name, this, Array.isArray(raw.servers) ? raw.servers : isHash(raw.servers) ? raw.servers[name] : undefined));
    this.accessories = Object.entries(isHash(raw.accessories) ? raw.accessories : {}).map(([name, config]) => new Accessory(name, this, config));
    this.builder = new Builder(isHash(raw.builder) ? raw.builder : {}, this.image, this.registry.server);
    this.ssh = new Ssh(isHash(raw.ssh) ? raw.ssh : {}, this.secretsLookup, this.cwd);
    this.sshkit = new Sshkit(isHash(raw.sshkit) ? raw.sshkit : {});
    this.boot = new Boot(isHash(raw.boot) ? raw.boot : {}, this.allHosts.length);
    this.output = new Output(isHash(raw.output) ? raw.output : {});
    this.berth = BerthSettings.from(raw["x-berth"]);
    this.aliases = Object.fromEntries(Object.entries(isHash(raw.aliases) ? raw.aliases : {}).map(([name, command]) => [name, new Alias(name, text(command))]));
  }

  // Names ------------------------------------------------------------------------------------

  /** The image name; with a local registry it defaults to the service name. */
  get image(): string {
    const image = optionalText(this.raw.image);
    if (image !== undefined && image.trim() !== "") return image;
    return this.registry.local ? this.service : "";
  }

  /**
   * The app version: `--version`, else `$VERSION`, else the git revision (with
   * `_uncommitted_<hex>` for a dirty tree built from the working directory).
   */
  get version(): string {
    if (this.resolvedVersion === undefined) {
      this.resolvedVersion =
        this.explicitVersion ??
        resolveVersion({ cwd: this.cwd, env: this.processEnv, usesGitClone: this.builder.usesGitClone });
    }
    return this.resolvedVersion;
  }

  /** The first 7 characters, unless the version contains `_` (`<sha>_uncommitted_<hex>`). */
  get abbreviatedVersion(): string {
    const version = this.version;
    return version.includes("_") ? version : version.slice(0, 7);
  }

  /** `[registry server/]image`. */
  get repository(): string {
    return [this.registry.server, this.image].filter((part) => part !== undefined && part !== "").join("/");
  }

  get absoluteImage(): string {
    return `${this.repository}:${this.version}`;
  }

  /** `latest`, or `latest-<destination>`. */
  get latestTag(): string {
    return ["latest", this.destination].filter((part) => part !== undefined).join("-");
  }

  get latestImage(): string {
    return `${this.repository}:${this.latestTag}`;
  }

  get serviceWithVersion(): string {
    return `${this.service}-${this.version}`;
  }

  /** Custom labels for every app container (roles add theirs). */
  get labels(): Readonly<Record<string, string>> {
    return textMap(this.raw.labels);
  }

  get volumes(): string[] {
    return textList(this.raw.volumes);
  }

  /** `--volume` arguments as `kamal config` prints them. */
  get volumeArgs(): string[] {
    return this.volumes.flatMap((volume) => ["--volume", volume]);
  }

  // Roles and hosts --------------------------------------------------------------------------

  private get roleNames(): string[] {
    const servers = this.raw.servers;
    if (Array.isArray(servers)) return [DEFAULT_PRIMARY_ROLE];
    if (isHash(servers)) return Object.keys(servers).sort();
    return [];
  }

  role(name: string): Role | undefined {
    return this.roles.find((role) => role.name === name);
  }

  accessory(name: string): Accessory | undefined {
    return this.accessories.find((accessory) => accessory.name === name);
  }

  get primaryRoleName(): string {
    return optionalText(this.raw.primary_role) ?? DEFAULT_PRIMARY_ROLE;
  }

  get primaryRole(): Role | undefined {
    return this.role(this.primaryRoleName);
  }

  get primaryHost(): string | undefined {
    return this.primaryRole?.primaryHost;
  }

  /** Every host: app hosts, then accessory hosts. */
  get allHosts(): string[] {
    return unique([...this.roles, ...this.accessories].flatMap((item) => item.hosts));
  }

  get appHosts(): string[] {
    return unique(this.roles.flatMap((role) => role.hosts));
  }

  rolesOn(host: string): Role[] {
    return this.roles.filter((role) => role.hosts.includes(host));
  }

  accessoriesOn(host: string): Accessory[] {
    return this.accessories.filter((accessory) => accessory.hosts.includes(host));
  }

  get proxyRoles(): Role[] {
    return this.roles.filter((role) => role.runningProxy);
  }

  get proxyAccessories(): Accessory[] {
    return this.accessories.filter((accessory) => accessory.runningProxy);
  }

  /** Hosts that run the proxy: hosts of proxied roles and proxied accessories. */
  get proxyHosts(): string[] {
    return unique([...this.proxyRoles.flatMap((role) => role.hosts), ...this.proxyAccessories.flatMap((accessory) => accessory.hosts)]);
  }

  /** The proxy container's run options on a host, or null when the legacy boot files apply. */
  proxyRun(host: string): ProxyRun | null {
    return this.proxyRuns(host)[0] ?? null;
  }

  /** Every `proxy.run` that applies to a host (validation requires them to be identical). */
  proxyRuns(host: string): ProxyRun[] {
    const proxies = [...this.rolesOn(host).map((role) => role.proxy), ...this.accessoriesOn(host).map((accessory) => accessory.proxy)];
    return proxies.flatMap((proxy) => (proxy?.run ? [proxy.run] : []));
  }

  /** Hosts and roles for `-h/--hosts`, `-r/--roles` and `-p/--primary` (patterns allowed). */
  select(options: SelectionOptions = {}): Selection {
    return select(this, options);
  }

  /** Just the hosts of `select(options)`. */
  hostsFor(options: SelectionOptions = {}): string[] {
    return [...this.select(options).hosts];
  }

  envTag(name: string): EnvTag | undefined {
    return this.envTags.find((tag) => tag.name === name);
  }

  /** The proxy's directory on the servers (the app's are in remote-layout.ts). */
  get proxyDirectory(): string {
    return this.proxyBoot.hostDirectory;
  }

  /** The secrets this configuration reads from, if any were given. */
  get secrets(): SecretsLookup | undefined {
    return this.secretsLookup;
  }

  /** What `kamal config` prints (Configuration#to_h), secrets redacted. Resolves the version. */
  toKamalDocument(): KamalDocument {
    return toKamalDocument(this);
  }

  /** `kamal config` output: YAML with Ruby-style symbol keys unless `symbolKeys: false`. */
  toYaml(options: { symbolKeys?: boolean } = {}): string {
    return toYaml(this, options);
  }

  toJson(): string {
    return toJson(this);
  }

  /** The environment this configuration was loaded with. */
  get environment(): Readonly<Record<string, string | undefined>> {
    return this.processEnv;
  }

  /** A role by name, or a BerthError listing the roles there are. */
  requireRole(name: string): Role {
    const role = this.role(name);
    if (!role) throw new BerthError(`No role ${name} (roles: ${this.roles.map((item) => item.name).join(", ") || "none"})`);
    return role;
  }

  /** An accessory by name, or a BerthError listing the accessories there are. */
  requireAccessory(name: string): Accessory {
    const accessory = this.accessory(name);
    if (!accessory) {
      throw new BerthError(`No accessory called ${name} (accessories: ${this.accessories.map((item) => item.name).join(", ") || "none"})`);
    }
    return accessory;
  }
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

// A role: a group of hosts running the app with the same command and settings (Kamal's
// Configuration::Role, with its derived names).
import type { SecretsLookup } from "../../secrets/types.js";
import { DEFAULT_RESTART_POLICY } from "../defaults.js";
import { Env } from "./env.js";
import type { EnvTag, ResolvedEnv } from "./env.js";
import { Logging } from "./logging.js";
import { ProxyConfig, type ProxyContext } from "./proxy.js";
import { dockerOptions, isHash, optionalText, present, text, textMap } from "./values.js";
import type { DockerOptionValue } from "./values.js";
import { Volume } from "./volume.js";


/** What a role reads of the configuration around it (the Configuration, seen from below). */
export interface RoleContext extends ProxyContext {
  readonly service: string;
  readonly destination: string | undefined;
  readonly primaryRoleName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly logging: Logging;
  /** The root `proxy` section, which a role's own merges over. */
  readonly proxy: ProxyConfig;
  readonly stopTimeout: number | undefined;
  readonly env: Env;
  envTag(name: string): EnvTag | undefined;
  readonly envDirectory: string;
  readonly assetPath: string | undefined;
  readonly assetsDirectory: string;
  readonly secretsLookup: SecretsLookup | undefined;
}
export const RESTART_POLICY = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/;

/** Host → its tags, in the order hosts are listed (a repeated host keeps its first place). */
function taggedHosts(entries: unknown): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  if (!Array.isArray(entries)) return hosts;
  for (const entry of entries) {
    if (isHash(entry)) {
      const [host, tags] = Object.entries(entry)[0] ?? [];
      if (host === undefined) continue;
      hosts.set(host, Array.isArray(tags) ? tags.map((tag) => text(tag)) : tags === undefined || tags === null ? [] : [text(tags)]);
    } else if (entry !== null && entry !== undefined) {
      hosts.set(text(entry), []);
    }
  }
  return hosts;
}

/** Splits docker options into the restart policy and the rest. */
export function splitRestartPolicy(options: unknown): { options: Record<string, DockerOptionValue>; restartPolicy: string } {
  const all = dockerOptions(options);
  const restart = all.restart;
  delete all.restart;
  const restartPolicy = restart === undefined || restart === null || restart === false ? DEFAULT_RESTART_POLICY : text(restart);
  return { options: all, restartPolicy };
}

export class Role {
  private readonly tagged: Map<string, string[]>;
  private readonly settings: Readonly<Record<string, unknown>>;
  private readonly ownEnv: Env;
  private readonly ownLogging: Logging;
  private readonly ownProxy: ProxyConfig | null;
  private readonly envs = new Map<string, Env>();
  /** Whether this role's containers are registered with the proxy. */
  readonly runningProxy: boolean;

  constructor(
    readonly name: string,
    private readonly config: RoleContext,
    /** `servers.<name>` as written (a host list or a settings map); the host list for `servers: [...]`. */
    roleConfig: unknown,
  ) {
    this.settings = isHash(roleConfig) ? roleConfig : {};
    this.tagged = taggedHosts(Array.isArray(roleConfig) ? roleConfig : this.settings.hosts);
    this.ownEnv = Env.from(this.settings.env);
    this.ownLogging = Logging.from(this.settings.logging);
    const proxySetting = this.settings.proxy;
    // The primary role is proxied unless `proxy: false`; others only with `true` or a map.
    this.runningProxy = this.primary ? proxySetting !== false : proxySetting !== undefined && proxySetting !== null && proxySetting !== false;
    this.ownProxy = this.runningProxy
      ? new ProxyConfig(config, isHash(proxySetting) ? proxySetting : {}, config.secretsLookup, name)
      : null;
  }

  get hosts(): string[] {
    return [...this.tagged.keys()];
  }

  get primaryHost(): string | undefined {
    return this.hosts[0];
  }

  get primary(): boolean {
    return this.name === this.config.primaryRoleName;
  }

  tagsFor(host: string): string[] {
    return this.tagged.get(host) ?? [];
  }

  get cmd(): string | undefined {
    return optionalText(this.settings.cmd);
  }

  /** Docker options as `--key value` pairs, without `restart`. */
  get options(): Readonly<Record<string, DockerOptionValue>> {
    return splitRestartPolicy(this.settings.options).options;
  }

  /** `--restart` value: `options.restart` or `unless-stopped`. */
  get restartPolicy(): string {
    return splitRestartPolicy(this.settings.options).restartPolicy;
  }

  /** `service`, `role` and `destination` (null without one: a bare `--label destination`), then custom labels. */
  get labels(): Readonly<Record<string, string | null>> {
    return {
      service: this.config.service,
      role: this.name,
      destination: this.config.destination ?? null,
      ...this.config.labels,
      ...textMap(this.settings.labels),
    };
  }

  /** Root logging with this role's merged over it. */
  get logging(): Logging {
    return this.config.logging.merge(this.ownLogging);
  }

  /** This role's proxy settings merged over the root proxy, or null for a role without a proxy. */
  get proxy(): ProxyConfig | null {
    return this.ownProxy ? this.ownProxy.mergedOver(this.config.proxy) : null;
  }

  /** The role's own proxy settings before merging (validated separately, as Kamal does). */
  get specializedProxy(): ProxyConfig | null {
    return this.ownProxy;
  }

  get ssl(): boolean {
    return this.proxy?.ssl ?? false;
  }

  /**
   * `docker stop -t` for old containers: the role's or root `stop_timeout`, else the drain
   * timeout for roles without a proxy (the proxy drains proxied ones before they are stopped).
   */
  get stopTimeout(): number | undefined {
    const configured = typeof this.settings.stop_timeout === "number" ? this.settings.stop_timeout : this.config.stopTimeout;
    if (configured !== undefined) return configured;
    return this.runningProxy ? undefined : this.config.drainTimeout;
  }

  /** Root env, then this role's, then the env of each of the host's tags. */
  envFor(host: string): Env {
    let env = this.envs.get(host);
    if (!env) {
      env = [this.config.env, this.ownEnv, ...this.tagsFor(host).flatMap((tag) => this.config.envTag(tag)?.env ?? [])].reduce((merged, next) =>
        merged.merge(next),
      );
      this.envs.set(host, env);
    }
    return env;
  }

  env(host: string): ResolvedEnv {
    return this.envFor(host).resolved();
  }

  get envDirectory(): string {
    return `${this.config.envDirectory}/roles`;
  }

  /** The secrets env file on the host: `.kamal/apps/<svc>[-dest]/env/roles/<role>.env`. */
  get envFilePath(): string {
    return `${this.envDirectory}/${this.name}.env`;
  }

  /** `<service>-<role>[-<destination>]`: also the service name given to the proxy. */
  get containerPrefix(): string {
    return [this.config.service, this.name, this.config.destination].filter((part) => part !== undefined).join("-");
  }

  containerName(version: string = this.config.version): string {
    return `${this.containerPrefix}-${version}`;
  }

  private get assetPathConfig(): [string, string | undefined] | undefined {
    const raw = present(this.settings.asset_path) ? text(this.settings.asset_path) : this.config.assetPath;
    if (raw === undefined || raw.trim() === "") return undefined;
    const separator = raw.indexOf(":");
    return separator === -1 ? [raw, undefined] : [raw.slice(0, separator), raw.slice(separator + 1)];
  }

  /** Path of the assets inside the image. */
  get assetPath(): string | undefined {
    return this.assetPathConfig?.[0];
  }

  /** Mount options after the colon (`ro`, `z`, …). */
  get assetPathOptions(): string | undefined {
    return this.assetPathConfig?.[1];
  }

  /** Asset bridging only happens for proxied roles. */
  get assets(): boolean {
    return this.assetPath !== undefined && this.runningProxy;
  }

  assetExtractedDirectory(version: string = this.config.version): string {
    return `${this.config.assetsDirectory}/extracted/${this.name}-${version}`;
  }

  assetVolumeDirectory(version: string = this.config.version): string {
    return `${this.config.assetsDirectory}/volumes/${this.name}-${version}`;
  }

  assetVolume(version: string = this.config.version): Volume | null {
    return this.assets ? new Volume(this.assetVolumeDirectory(version), this.assetPath!, this.assetPathOptions) : null;
  }
}

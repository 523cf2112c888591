// How hosts are reached over SSH (Kamal's Configuration::Ssh).
import { REDACTED, Redacted } from "../../core/cmd.js";
import type { SecretsLookup } from "../../secrets/types.js";
import { BerthError } from "../../util/errors.js";
import { optionalText, RubySymbol, text, textList } from "./values.js";
import { DEFAULT_SSH_LOG_LEVEL, DEFAULT_SSH_PORT, DEFAULT_SSH_USER } from "../defaults.js";

export class Ssh {
  constructor(
    private readonly config: Readonly<Record<string, unknown>>,
    private readonly secrets: SecretsLookup | undefined,
  ) {}

  get user(): string {
    return optionalText(this.config.user) ?? DEFAULT_SSH_USER;
  }

  get port(): number {
    const port = this.config.port;
    if (port === undefined || port === null) return DEFAULT_SSH_PORT;
    const parsed = Number.parseInt(text(port), 10);
    return Number.isNaN(parsed) ? DEFAULT_SSH_PORT : parsed;
  }

  /** Jump host as `user@host` (root when no user is given). */
  get proxy(): string | undefined {
    const proxy = optionalText(this.config.proxy);
    if (proxy === undefined) return undefined;
    return proxy.includes("@") ? proxy : `root@${proxy}`;
  }

  get proxyCommand(): string | undefined {
    return this.proxy === undefined ? optionalText(this.config.proxy_command) : undefined;
  }

  get logLevel(): string {
    return optionalText(this.config.log_level) ?? DEFAULT_SSH_LOG_LEVEL;
  }

  get keysOnly(): boolean | undefined {
    return typeof this.config.keys_only === "boolean" ? this.config.keys_only : undefined;
  }

  get keys(): string[] | undefined {
    return this.config.keys === undefined || this.config.keys === null ? undefined : textList(this.config.keys);
  }

  /** Entries of `key_data`: secret names, or (deprecated) inline PEM text. */
  get keyDataEntries(): string[] | undefined {
    return this.config.key_data === undefined || this.config.key_data === null ? undefined : textList(this.config.key_data);
  }

  /** Private keys, read from secrets when given by name. */
  keyData(): Redacted[] | undefined {
    return this.keyDataEntries?.map((entry) => {
      if (entry.includes("PRIVATE KEY")) return new Redacted(entry);
      if (!this.secrets) throw new BerthError(`ssh/key_data: secret ${entry} is needed but no secrets were loaded`);
      return new Redacted(this.secrets.get(entry));
    });
  }

  /** `true` (default OpenSSH files), `false` (none) or specific files. */
  get configFiles(): boolean | string | string[] {
    const config = this.config.config;
    if (config === undefined || config === null) return true;
    if (typeof config === "boolean") return config;
    return Array.isArray(config) ? textList(config) : text(config);
  }

  get forwardAgent(): boolean | undefined {
    return typeof this.config.forward_agent === "boolean" ? this.config.forward_agent : undefined;
  }

  /** The options as `kamal config` prints them (`ssh_options`), key data redacted. */
  toH(): Record<string, unknown> {
    const options: Record<string, unknown> = {
      user: this.user,
      port: this.port,
      proxy: this.proxy ?? this.proxyCommand,
      keepalive: true,
      keepalive_interval: 30,
      keys_only: this.keysOnly,
      keys: this.keys,
      key_data: this.keyDataEntries?.map(() => REDACTED),
      config: this.config.config === undefined ? undefined : this.configFiles,
      forward_agent: this.forwardAgent,
      // Kamal's default is the Symbol :fatal; a configured level stays the string written.
      log_level: optionalText(this.config.log_level) ?? new RubySymbol(DEFAULT_SSH_LOG_LEVEL),
    };
    for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
    return options;
  }
}

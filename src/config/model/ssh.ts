// How hosts are reached over SSH (Kamal's Configuration::Ssh): the one reading of deploy.yml's
// `ssh:`. Two views of it: Kamal's (`user`, `port`, `configFiles`… with Kamal's defaults, as
// `berth config` prints them and Kamal's own ssh line uses them), and what the SSH transport is
// given (`configured*`, `keyFiles`, `configFilePaths`, `keyData`): only what deploy.yml sets, paths
// resolved as Kamal resolves them, so the user's ssh config decides the rest before Kamal's
// defaults (src/transport/ssh-args.ts).
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { REDACTED, Redacted } from "../../core/cmd.js";
import type { SecretsLookup } from "../../secrets/types.js";
import { BerthError } from "../../util/errors.js";
import { optionalText, RubySymbol, text, textList } from "./values.js";
import { DEFAULT_SSH_LOG_LEVEL, DEFAULT_SSH_PORT, DEFAULT_SSH_USER } from "../defaults.js";

export class Ssh {
  constructor(
    private readonly config: Readonly<Record<string, unknown>>,
    private readonly secrets: SecretsLookup | undefined,
    /** Where relative `config` and `keys` paths are resolved (Ruby's File.expand_path). */
    private readonly cwd: string = process.cwd(),
  ) {}

  get user(): string {
    return this.configuredUser ?? DEFAULT_SSH_USER;
  }

  /** `user` as written, if it is. */
  get configuredUser(): string | undefined {
    return optionalText(this.config.user);
  }

  /** `port` as written, checked (1-65535), if it is. */
  get configuredPort(): number | undefined {
    const port = this.config.port;
    if (port === undefined || port === null) return undefined;
    const value = text(port);
    const number = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(number) || number < 1 || number > 65535) throw new BerthError(`ssh.port: "${value}" is not a port number (1-65535)`);
    return number;
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
    return this.configuredLogLevel ?? DEFAULT_SSH_LOG_LEVEL;
  }

  /** `log_level` as written, if it is. */
  get configuredLogLevel(): string | undefined {
    return optionalText(this.config.log_level);
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

  /** `keys` as files to read: `~` is the home directory, a relative path is under the working directory. */
  get keyFiles(): string[] | undefined {
    return this.keys?.map((key) => absolutePath(key, this.cwd));
  }

  /**
   * Private keys: an entry holding a PEM block is the key itself (deprecated, as in Kamal), any
   * other names a secret.
   */
  keyData(): Redacted[] | undefined {
    return this.keyDataEntries?.map((entry, index) => {
      if (entry.includes("-----BEGIN")) return new Redacted(entry);
      if (!this.secrets) throw new BerthError(`ssh.key_data[${index}]: secret ${entry} needs .kamal/secrets, and none were read`);
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

  /**
   * `config` as files for ssh to read: true (OpenSSH's usual files), false (none), or the files
   * made absolute. A file that can't be read is an error: OpenSSH's `Include` would skip it without
   * a word, and with it its host key settings.
   */
  configFilePaths(readable: (path: string) => boolean = isReadable): boolean | string[] {
    const files = this.configFiles;
    if (typeof files === "boolean") return files;
    return (Array.isArray(files) ? files : [files]).map((path, index, all) => {
      const absolute = absolutePath(path, this.cwd);
      if (!readable(absolute)) {
        const key = all.length > 1 ? `ssh.config[${index}]` : "ssh.config";
        const resolved = absolute === path ? "" : ` (${absolute}, resolved against ${this.cwd} as Kamal does)`;
        throw new BerthError(`${key}: cannot read the SSH config file ${path}${resolved}. Fix the path or remove the setting`);
      }
      return absolute;
    });
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

/** Ruby's File.expand_path: `~` is the home directory, a relative path is under `cwd`. */
function absolutePath(path: string, cwd: string): string {
  if (path === "~" || path.startsWith("~/")) return `${homedir()}${path.slice(1)}`;
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

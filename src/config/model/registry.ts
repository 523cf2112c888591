// Registry credentials are looked up only when a command needs them (so `berth config` never
// runs a vault CLI) and handed out as Redacted so they can't reach a log by accident.
import { Redacted } from "../../core/cmd.js";
import type { SecretsLookup } from "../../secrets/types.js";
import { BerthError } from "../../util/errors.js";
import { isHash, optionalText, text } from "./values.js";

export class Registry {
  constructor(
    private readonly config: Readonly<Record<string, unknown>>,
    private readonly secrets: SecretsLookup | undefined,
    /** Kamal's context path, e.g. `registry` or `accessories/db/registry`. */
    readonly context: string = "registry",
  ) {}

  static from(config: unknown, secrets: SecretsLookup | undefined, context = "registry"): Registry {
    return new Registry(isHash(config) ? config : {}, secrets, context);
  }

  /** The registry host; undefined means Docker Hub. */
  get server(): string | undefined {
    return optionalText(this.config.server);
  }

  /** `localhost:PORT`: a registry run on this machine and tunnelled to the hosts. */
  get local(): boolean {
    return /^localhost[:$]/.test(this.server ?? "");
  }

  get localPort(): number | undefined {
    if (!this.local) return undefined;
    const port = Number.parseInt(this.server!.split(":").at(-1) ?? "", 10);
    return Number.isNaN(port) ? 80 : port;
  }

  /** The secret name when the value is `[NAME]`, else undefined. */
  secretNameOf(key: "username" | "password"): string | undefined {
    const value = this.config[key];
    return Array.isArray(value) ? text(value[0]) : undefined;
  }

  username(): Redacted {
    return this.lookup("username");
  }

  password(): Redacted {
    return this.lookup("password");
  }

  private lookup(key: "username" | "password"): Redacted {
    const secretName = this.secretNameOf(key);
    if (secretName === undefined) return new Redacted(text(this.config[key]));
    if (!this.secrets) {
      throw new BerthError(`${this.context}/${key}: secret ${secretName} is needed but no secrets were loaded`);
    }
    return new Redacted(this.secrets.get(secretName));
  }
}

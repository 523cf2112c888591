// The small sections: SSH pool tuning, boot pacing, output sinks and aliases.
import { BerthError } from "../../util/errors.js";
import { isHash, optionalText, text } from "./values.js";
import { DEFAULT_SSHKIT_DNS_RETRIES, DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS, DEFAULT_SSHKIT_POOL_IDLE_TIMEOUT } from "../defaults.js";

export class Sshkit {
  constructor(private readonly config: Readonly<Record<string, unknown>>) {}

  /** SSH connections being opened at once, at most. */
  get maxConcurrentStarts(): number {
    return this.count("max_concurrent_starts", 1) ?? DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS;
  }

  get poolIdleTimeout(): number {
    return this.configuredPoolIdleTimeout ?? DEFAULT_SSHKIT_POOL_IDLE_TIMEOUT;
  }

  /** `pool_idle_timeout` as written, if it is (Berth's shared connections idle out sooner unless it is). */
  get configuredPoolIdleTimeout(): number | undefined {
    return this.count("pool_idle_timeout", 1);
  }

  /** Retries after a failed name lookup. */
  get dnsRetries(): number {
    return this.count("dns_retries", 0) ?? DEFAULT_SSHKIT_DNS_RETRIES;
  }

  /** The section as written (what `kamal config` prints). */
  toH(): Readonly<Record<string, unknown>> {
    return this.config;
  }

  private count(key: string, min: number): number | undefined {
    const value = this.config[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      throw new BerthError(`sshkit.${key}: expected a whole number of at least ${min}, got ${JSON.stringify(value)}`);
    }
    return value;
  }
}

export class Boot {
  constructor(
    private readonly config: Readonly<Record<string, unknown>>,
    /** Every host, accessory hosts included: what a percentage is taken of. */
    private readonly hostCount: number,
  ) {}

  /** Hosts per group: a number, or a percentage of all hosts (floor, at least 1). */
  get limit(): number | undefined {
    const limit = this.config.limit;
    if (limit === undefined || limit === null) return undefined;
    const raw = text(limit);
    if (raw.endsWith("%")) return Math.max(Math.floor((this.hostCount * Number.parseInt(raw, 10)) / 100), 1);
    return Number.parseInt(raw, 10);
  }

  /** Seconds between groups. */
  get wait(): number | undefined {
    return typeof this.config.wait === "number" ? this.config.wait : undefined;
  }

  get parallelRoles(): boolean {
    return this.config.parallel_roles === true;
  }
}

export class Output {
  constructor(private readonly config: Readonly<Record<string, unknown>>) {}

  /** Directory for one log file per command. */
  get filePath(): string | undefined {
    return isHash(this.config.file) ? optionalText(this.config.file.path) : undefined;
  }

  /** OTLP/HTTP collector base URL. */
  get otelEndpoint(): string | undefined {
    return isHash(this.config.otel) ? optionalText(this.config.otel.endpoint) : undefined;
  }
}

export class Alias {
  constructor(
    readonly name: string,
    /** The command line the alias expands to (split with Shellwords rules by the CLI). */
    readonly command: string,
  ) {}
}

// The small sections: SSH pool tuning, boot pacing, output sinks and aliases.
import { isHash, optionalText, text } from "./values.js";
import { DEFAULT_SSHKIT_DNS_RETRIES, DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS, DEFAULT_SSHKIT_POOL_IDLE_TIMEOUT } from "../defaults.js";

export class Sshkit {
  constructor(private readonly config: Readonly<Record<string, unknown>>) {}

  get maxConcurrentStarts(): number {
    return typeof this.config.max_concurrent_starts === "number" ? this.config.max_concurrent_starts : DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS;
  }

  get poolIdleTimeout(): number {
    return typeof this.config.pool_idle_timeout === "number" ? this.config.pool_idle_timeout : DEFAULT_SSHKIT_POOL_IDLE_TIMEOUT;
  }

  get dnsRetries(): number {
    return typeof this.config.dns_retries === "number" ? this.config.dns_retries : DEFAULT_SSHKIT_DNS_RETRIES;
  }

  /** The section as written (what `kamal config` prints). */
  toH(): Readonly<Record<string, unknown>> {
    return this.config;
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

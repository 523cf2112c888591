// Kamal::Tags: the metadata stamped on audit lines and handed to hooks. Who and when are passed
// in (the orchestration asks git/whoami and the clock once), so every builder here stays pure.
import type { Configuration } from "../config/index.js";

/** What the caller knows about this run. */
export interface TagContext {
  /** UTC ISO-8601 to the second, e.g. `2026-01-02T03:04:05Z` (see `iso8601`). */
  readonly recordedAt: string;
  /** `git config user.email`, else `whoami`. */
  readonly performer: string;
}

export type TagValue = string | number | boolean | null | undefined;
export type TagDetails = Readonly<Record<string, TagValue>>;

/** An ordered, compacted list of tags (Ruby hash order: a repeated key keeps its first place). */
export class Tags {
  private constructor(private readonly entries: readonly (readonly [string, string])[]) {}

  /** Kamal's defaults (recorded_at, performer, destination, version, service_version, service) then details. */
  static fromConfig(config: Configuration, context: TagContext, details: TagDetails = {}): Tags {
    return Tags.of({
      recorded_at: context.recordedAt,
      performer: context.performer,
      destination: config.destination,
      version: config.version,
      service_version: `${config.service}@${config.abbreviatedVersion}`,
      service: config.service,
      ...details,
    });
  }

  static of(values: TagDetails): Tags {
    const entries: [string, string][] = [];
    for (const [key, value] of Object.entries(values)) {
      if (value === null || value === undefined) continue;
      entries.push([key, String(value)]);
    }
    return new Tags(entries);
  }

  except(...keys: readonly string[]): Tags {
    return new Tags(this.entries.filter(([key]) => !keys.includes(key)));
  }

  /** `[value] [value] …` as audit lines show them. */
  toString(): string {
    return this.entries.map(([, value]) => `[${value}]`).join(" ");
  }

  /** `KAMAL_<KEY>` → value, for hook environments. */
  env(): Record<string, string> {
    return Object.fromEntries(this.entries.map(([key, value]) => [`KAMAL_${key.toUpperCase()}`, value]));
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.entries);
  }
}

/** Ruby's `Time#utc.iso8601`: seconds precision, `Z` suffix. */
export function iso8601(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

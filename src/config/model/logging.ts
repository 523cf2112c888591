// Docker logging flags for app and accessory containers.
import { argumentize, optionize } from "../../core/cmd.js";
import type { Part } from "../../core/cmd.js";
import { deepMerge } from "../merge.js";
import { isHash, optionalText, present, textMap } from "./values.js";

export class Logging {
  constructor(private readonly config: Readonly<Record<string, unknown>> = {}) {}

  static from(config: unknown): Logging {
    return new Logging(isHash(config) ? config : {});
  }

  get driver(): string | undefined {
    return optionalText(this.config.driver);
  }

  get options(): Readonly<Record<string, string>> {
    return textMap(this.config.options);
  }

  /** `other` wins key by key (a role's logging over the root's). */
  merge(other: Logging): Logging {
    return new Logging(deepMerge(this.config, other.config));
  }

  private get configured(): boolean {
    return present(this.config.driver) || present(this.config.options);
  }

  /** The `--log-driver` a container gets: none unless logging is configured. */
  get effectiveDriver(): string | undefined {
    return this.configured ? this.driver : undefined;
  }

  /** The `--log-opt` values: the configured ones, or Kamal's `max-size: 10m` when no logging is set. */
  get effectiveOptions(): Readonly<Record<string, string>> {
    return this.configured ? this.options : { "max-size": "10m" };
  }

  /** `--log-driver "x" --log-opt k="v"`, or `--log-opt max-size="10m"` when nothing is set. */
  args(): Part[] {
    const driver = this.effectiveDriver;
    return [...optionize(driver === undefined ? {} : { "log-driver": driver }), ...argumentize("--log-opt", this.effectiveOptions)];
  }
}

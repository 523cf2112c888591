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

  /** `--log-driver "x" --log-opt k="v"`, or `--log-opt max-size="10m"` when nothing is set. */
  args(): Part[] {
    if (present(this.config.driver) || present(this.config.options)) {
      return [...optionize(this.driver === undefined ? {} : { "log-driver": this.driver }), ...argumentize("--log-opt", this.options)];
    }
    return argumentize("--log-opt", { "max-size": "10m" });
  }
}

// deploy.yml's top-level settings (timeouts, retention, paths, hooks output) with Kamal's
// defaults: read from the parsed file as asked, nothing derived. The base of Configuration.
import {
  DEFAULT_DEPLOY_TIMEOUT,
  DEFAULT_DRAIN_TIMEOUT,
  DEFAULT_HOOKS_PATH,
  DEFAULT_READINESS_DELAY,
  DEFAULT_RETAIN_CONTAINERS,
  DEFAULT_SECRETS_PATH,
} from "../defaults.js";
import { isHash, optionalText, present, text } from "./values.js";

export type HooksOutput = "quiet" | "verbose";

export class TopLevelSettings {
  constructor(
    /** The merged, validated deploy.yml as parsed. */
    readonly raw: Readonly<Record<string, unknown>>,
  ) {}

  get requireDestination(): boolean {
    return this.raw.require_destination === true;
  }

  get allowEmptyRoles(): boolean {
    return this.raw.allow_empty_roles === true;
  }

  get retainContainers(): number {
    return typeof this.raw.retain_containers === "number" ? this.raw.retain_containers : DEFAULT_RETAIN_CONTAINERS;
  }

  get minimumVersion(): string | undefined {
    return optionalText(this.raw.minimum_version);
  }

  get readinessDelay(): number {
    return typeof this.raw.readiness_delay === "number" ? this.raw.readiness_delay : DEFAULT_READINESS_DELAY;
  }

  get deployTimeout(): number {
    return typeof this.raw.deploy_timeout === "number" ? this.raw.deploy_timeout : DEFAULT_DEPLOY_TIMEOUT;
  }

  get drainTimeout(): number {
    return typeof this.raw.drain_timeout === "number" ? this.raw.drain_timeout : DEFAULT_DRAIN_TIMEOUT;
  }

  get stopTimeout(): number | undefined {
    return typeof this.raw.stop_timeout === "number" ? this.raw.stop_timeout : undefined;
  }

  get assetPath(): string | undefined {
    return present(this.raw.asset_path) ? text(this.raw.asset_path) : undefined;
  }

  get errorPagesPath(): string | undefined {
    return present(this.raw.error_pages_path) ? text(this.raw.error_pages_path) : undefined;
  }

  get hooksPath(): string {
    return optionalText(this.raw.hooks_path) ?? DEFAULT_HOOKS_PATH;
  }

  get secretsPath(): string {
    return optionalText(this.raw.secrets_path) ?? DEFAULT_SECRETS_PATH;
  }

  /** `quiet`/`verbose` for a hook when configured (globally or for that hook); undefined follows -v/-q. */
  hooksOutputFor(hook: string): HooksOutput | undefined {
    const setting = this.raw.hooks_output;
    const level = isHash(setting) ? setting[hook] : setting;
    return level === undefined || level === null ? undefined : (text(level) as HooksOutput);
  }
}

// The service's name and where its files live on the servers (relative to the SSH user's home),
// as Kamal 2 lays them out. Configuration builds on this.
import { text } from "./values.js";
import { TopLevelSettings } from "./top-level-settings.js";

export class RemoteLayout extends TopLevelSettings {
  constructor(
    raw: Readonly<Record<string, unknown>>,
    readonly destination: string | undefined,
  ) {
    super(raw);
  }

  get service(): string {
    return text(this.raw.service);
  }

  /** `<service>[-<destination>]`. */
  get serviceAndDestination(): string {
    return [this.service, this.destination].filter((part) => part !== undefined).join("-");
  }

  /** Always `.kamal`: `run_directory` is accepted but ignored, as in Kamal 2. */
  get runDirectory(): string {
    return ".kamal";
  }

  get appsDirectory(): string {
    return `${this.runDirectory}/apps`;
  }

  get appDirectory(): string {
    return `${this.appsDirectory}/${this.serviceAndDestination}`;
  }

  get envDirectory(): string {
    return `${this.appDirectory}/env`;
  }

  get assetsDirectory(): string {
    return `${this.appDirectory}/assets`;
  }

  get lockDirectory(): string {
    return `${this.runDirectory}/lock-${this.serviceAndDestination}`;
  }

  get lockDetailsFile(): string {
    return `${this.lockDirectory}/details`;
  }

  get auditLogFile(): string {
    return `${this.runDirectory}/${[this.service, this.destination, "audit.log"].filter((part) => part !== undefined).join("-")}`;
  }
}

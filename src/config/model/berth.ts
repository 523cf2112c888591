// Berth's own settings (`x-berth:`, see schema/berth.ts) with their defaults, and the command
// line's flags over them: a command reads `config.berth.withFlags(options)` where it has flags.
import { isHash, text } from "./values.js";

export interface ReleaseSettings {
  /** The command line run in a one-off container of the new image. */
  readonly cmd: string;
  readonly timeoutSeconds: number;
}

export interface DoctorSettings {
  readonly minFreeDiskGb: number;
  readonly maxClockSkewSeconds: number;
}

/** Command-line flags that override `x-berth` settings; undefined leaves the file's value. */
export interface BerthFlags {
  /** `--skip-release`: no release command, whatever the file says. */
  readonly skipRelease?: boolean;
  /** `--atomic`. */
  readonly atomic?: boolean;
  /** `--release-timeout`: seconds. */
  readonly releaseTimeout?: number;
  /** `doctor --min-free-disk-gb`. */
  readonly minFreeDiskGb?: number;
  /** `doctor --max-clock-skew`. */
  readonly maxClockSkew?: number;
}

export const DEFAULT_RELEASE_TIMEOUT_SECONDS = 600;
export const DEFAULT_MIN_FREE_DISK_GB = 5;
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 5;

export class BerthSettings {
  constructor(
    /** `x-berth` as written (validated). */
    readonly raw: Readonly<Record<string, unknown>>,
    private readonly flags: BerthFlags = {},
  ) {}

  static from(value: unknown): BerthSettings {
    return new BerthSettings(isHash(value) ? value : {});
  }

  /** The release command, or undefined when none is set (or `--skip-release`). */
  get release(): ReleaseSettings | undefined {
    if (this.flags.skipRelease === true) return undefined;
    const release = this.raw.release;
    if (!isHash(release) || release.cmd === undefined || release.cmd === null) return undefined;
    return {
      cmd: text(release.cmd),
      timeoutSeconds: this.flags.releaseTimeout ?? (typeof release.timeout === "number" ? release.timeout : DEFAULT_RELEASE_TIMEOUT_SECONDS),
    };
  }

  get atomic(): boolean {
    return this.flags.atomic ?? this.raw.atomic === true;
  }

  get doctor(): DoctorSettings {
    const doctor = isHash(this.raw.doctor) ? this.raw.doctor : {};
    return {
      minFreeDiskGb: this.flags.minFreeDiskGb ?? (typeof doctor.min_free_disk_gb === "number" ? doctor.min_free_disk_gb : DEFAULT_MIN_FREE_DISK_GB),
      maxClockSkewSeconds: this.flags.maxClockSkew ?? (typeof doctor.max_clock_skew === "number" ? doctor.max_clock_skew : DEFAULT_MAX_CLOCK_SKEW_SECONDS),
    };
  }

  /** These settings with the command line's flags over them (flags left undefined change nothing). */
  withFlags(flags: BerthFlags): BerthSettings {
    const given = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)) as BerthFlags;
    return new BerthSettings(this.raw, { ...this.flags, ...given });
  }
}

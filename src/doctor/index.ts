// `berth doctor`: a preflight of this machine and every selected host, all at once, one line per
// check. It reads and changes nothing (see host.ts for what it sends to the servers); it fails
// when any check failed, after printing every result.
import type { CommandContext } from "../core/context.js";
import type { Configuration } from "../config/index.js";
import { Run } from "../deploy/run.js";
import { BerthError } from "../util/errors.js";
import { fail, failures, messageOf, type CheckGroup } from "./checks.js";
import { checkHost } from "./host.js";
import { checkLocal } from "./local.js";
import { doctorReport, reportJson, reportText } from "./report.js";

export interface DoctorOptions {
  /** `--min-free-disk-gb`, over `x-berth.doctor.min_free_disk_gb`. */
  readonly minFreeDiskGb?: number;
  /** `--max-clock-skew`, over `x-berth.doctor.max_clock_skew`. */
  readonly maxClockSkew?: number;
}

export class DoctorError extends BerthError {
  constructor(failed: number) {
    super(`${failed} check${failed === 1 ? "" : "s"} failed`, "Berth::DoctorError");
  }
}

export async function runDoctor(context: CommandContext, options: DoctorOptions = {}): Promise<void> {
  const started = performance.now();
  let config: Configuration;
  try {
    config = await context.config();
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    const groups: CheckGroup[] = [{ where: "local", checks: [fail("configuration", messageOf(error), configurationFix(error))] }];
    print(context, groups, started);
    throw new DoctorError(1);
  }
  const run = await Run.create(context);
  const settings = config.berth.withFlags({ minFreeDiskGb: options.minFreeDiskGb, maxClockSkew: options.maxClockSkew }).doctor;
  const hostSettings = { minFreeDiskBytes: settings.minFreeDiskGb * 1e9, maxClockSkewMs: settings.maxClockSkewSeconds * 1000 };
  const [local, ...hosts] = await Promise.all([
    checkLocal(run).then((checks): CheckGroup => ({ where: "local", checks })),
    ...run.selection.hosts.map((host) => checkHost(run, host, hostSettings)),
  ]);
  const groups = [local!, ...hosts];
  print(context, groups, started);
  const failed = failures(groups);
  if (failed > 0) throw new DoctorError(failed);
}

function print(context: CommandContext, groups: readonly CheckGroup[], started: number): void {
  const report = doctorReport(groups, (performance.now() - started) / 1000);
  context.output.data(reportText(report, context.output.colors), reportJson(report));
}

function configurationFix(error: BerthError): string {
  if (/not found/i.test(error.message) && /berth init/.test(error.message)) return "berth init writes one";
  return "fix what the message names (berth docs <section> documents each key), then run berth doctor again";
}

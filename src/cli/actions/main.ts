// Top-level server-side commands (Kamal's cli/main.rb): thin, the work is in src/deploy/.

import type { CommandContext } from "../../core/context.js";
import { BerthError } from "../../util/errors.js";
import type { NoOptions } from "./no-options.js";

const orchestration = async () => ({ ...(await import("../../deploy/run.js")), ...(await import("../../deploy/deploy.js")) });

export interface DeployOptions {
  /** -P/--skip-push: pull the image on the hosts instead of building and pushing it. */
  readonly skipPush: boolean;
  /** False with --no-cache: build without Docker's build cache. */
  readonly cache: boolean;
  /** --skip-release: don't run x-berth.release.cmd. */
  readonly skipRelease: boolean;
  /** --release-timeout, over x-berth.release.timeout. */
  readonly releaseTimeout?: number;
  /** --atomic / --no-atomic; undefined leaves x-berth.atomic to decide. */
  readonly atomic?: boolean;
}

function deployFlags(options: DeployOptions): { skipPush: boolean; noCache: boolean; skipRelease: boolean; atomic?: boolean; releaseTimeout?: number } {
  return {
    skipPush: options.skipPush,
    noCache: !options.cache,
    skipRelease: options.skipRelease,
    ...(options.atomic === undefined ? {} : { atomic: options.atomic }),
    ...(options.releaseTimeout === undefined ? {} : { releaseTimeout: options.releaseTimeout }),
  };
}

export interface DeployPlanOptions extends DeployOptions {
  /** --plan: print every command per host, run nothing. */
  readonly plan: boolean;
  /** --resolve-commands: with --plan, run the commands of deploy.yml's ERB and of the secrets files. */
  readonly resolveCommands: boolean;
}

export interface ConfirmedOptions {
  /** -y/--confirmed: skip the confirmation question. */
  readonly confirmed: boolean;
}

export interface UpgradeOptions extends ConfirmedOptions {
  readonly rolling: boolean;
}

export async function setup(context: CommandContext, options: DeployPlanOptions): Promise<void> {
  if (options.plan) return printPlan(context, "setup", options);
  if (options.resolveCommands) throw new BerthError("--resolve-commands goes with --plan", "Berth::UsageError");
  const { Run, setup: run } = await orchestration();
  await run(await Run.create(context), deployFlags(options));
}

export async function deploy(context: CommandContext, options: DeployPlanOptions): Promise<void> {
  if (options.plan) return printPlan(context, "deploy", options);
  if (options.resolveCommands) throw new BerthError("--resolve-commands goes with --plan", "Berth::UsageError");
  const { Run, deploy: run } = await orchestration();
  await run(await Run.create(context), deployFlags(options));
}

export async function redeploy(context: CommandContext, options: DeployPlanOptions): Promise<void> {
  if (options.plan) return printPlan(context, "redeploy", options);
  if (options.resolveCommands) throw new BerthError("--resolve-commands goes with --plan", "Berth::UsageError");
  const { Run, redeploy: run } = await orchestration();
  await run(await Run.create(context), deployFlags(options));
}

/**
 * `--plan`: every command per host and phase, nothing run on the servers (src/deploy/plan.ts), and
 * locally nothing that could write (src/deploy/plan-resolution.ts, src/cli/plan-context.ts).
 */
async function printPlan(context: CommandContext, flow: "deploy" | "setup" | "redeploy", options: DeployPlanOptions): Promise<void> {
  const [{ printPlan: print }, { PlanResolution }, { contextForPlan }] = await Promise.all([
    import("../../deploy/plan.js"),
    import("../../deploy/plan-resolution.js"),
    import("../plan-context.js"),
  ]);
  const resolution = new PlanResolution(options.resolveCommands);
  await print(contextForPlan(context, resolution), flow, deployFlags(options), { resolution });
}

export async function rollback(context: CommandContext, version: string, _options: NoOptions): Promise<void> {
  const [{ Run, rollback: run }, { contextForVersion }, { checkVersion }] = await Promise.all([
    orchestration(),
    import("../version-context.js"),
    import("../../config/version.js"),
  ]);
  checkVersion(version, "rollback VERSION");
  await run(await Run.create(contextForVersion(context, version)), version);
}

export async function details(context: CommandContext, _options: NoOptions): Promise<void> {
  const [{ Run }, { showDetails }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/details.js")]);
  await showDetails(await Run.create(context));
}

export async function audit(context: CommandContext, _options: NoOptions): Promise<void> {
  const [{ Run }, { showAudit }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/details.js")]);
  await showAudit(await Run.create(context));
}

export async function remove(context: CommandContext, options: ConfirmedOptions): Promise<void> {
  const [{ Run }, { removeAll }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/remove.js")]);
  await removeAll(await Run.create(context), { confirmed: options.confirmed });
}

export async function upgrade(context: CommandContext, options: UpgradeOptions): Promise<void> {
  const [{ Run }, { upgrade: run }, { versionConfigs }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/upgrade.js"), import("../version-context.js")]);
  await run(await Run.create(context), { rolling: options.rolling, confirmed: options.confirmed, configFor: versionConfigs(context) });
}

export interface DoctorOptions {
  /** --min-free-disk-gb */
  readonly minFreeDiskGb: number | undefined;
  /** --max-clock-skew */
  readonly maxClockSkew: number | undefined;
}

/** Berth's preflight: configuration, secrets, SSH, Docker, registry, ports, before any deploy. */
export async function doctor(context: CommandContext, options: DoctorOptions): Promise<void> {
  const { runDoctor } = await import("../../doctor/index.js");
  await runDoctor(context, {
    ...(options.minFreeDiskGb === undefined ? {} : { minFreeDiskGb: options.minFreeDiskGb }),
    ...(options.maxClockSkew === undefined ? {} : { maxClockSkew: options.maxClockSkew }),
  });
}

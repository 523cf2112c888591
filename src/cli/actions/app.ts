// `berth app …` (Kamal's cli/app.rb): thin, the work is in src/deploy/ (app-boot, app, app-exec, logs).

import type * as AppModule from "../../deploy/app.js";
import type { Run } from "../../deploy/run.js";
import type { CommandContext } from "../../core/context.js";
import type { NoOptions } from "./no-options.js";

export interface AppExecOptions {
  /** -i: run over `ssh -t` on the primary host, for consoles and shells. */
  readonly interactive: boolean;
  /** --reuse: `docker exec` in the running container instead of a new one. */
  readonly reuse: boolean;
  /** -e KEY:VALUE …: environment for the command. */
  readonly env: Readonly<Record<string, string>> | undefined;
  /** --detach: start the container detached (not with -i or --reuse). */
  readonly detach: boolean;
  /** --raw: write the command's stdout unmodified, for piping. */
  readonly raw: boolean;
}

export interface StaleContainersOptions {
  /** -s/--stop: stop the stale containers found. */
  readonly stop: boolean;
}

export interface LogsOptions {
  readonly since: string | undefined;
  readonly lines: number | undefined;
  readonly grep: string | undefined;
  readonly grepOptions: string | undefined;
  readonly follow: boolean;
  readonly skipTimestamps: boolean;
}

export interface AppLogsOptions extends LogsOptions {
  readonly containerId: string | undefined;
}

export interface MaintenanceOptions {
  /** Seconds; default drain_timeout from the config. */
  readonly drainTimeout: number | undefined;
  readonly message: string | undefined;
}

export async function boot(context: CommandContext, _options: NoOptions): Promise<void> {
  const [{ Run }, { bootApp }, { withLock }, { serveImagesTo }] = await Promise.all([
    import("../../deploy/run.js"),
    import("../../deploy/app-boot.js"),
    import("../../deploy/lock.js"),
    import("../../deploy/image-delivery.js"),
  ]);
  const run = await Run.create(context);
  await withLock(run, async () => {
    await serveImagesTo(run, run.selection.appHosts);
    await bootApp(run);
  });
}

export async function start(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.startApp(run));
}

export async function stop(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.stopApp(run));
}

export async function details(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.showAppDetails(run));
}

export async function exec(context: CommandContext, command: readonly string[], options: AppExecOptions): Promise<void> {
  const [{ Run }, { execApp, checkExecOptions }, { rawContext }] = await Promise.all([
    import("../../deploy/run.js"),
    import("../../deploy/app-exec.js"),
    import("../../deploy/raw.js"),
  ]);
  checkExecOptions({ command, ...options });
  const run = await Run.create(options.raw ? rawContext(context) : context);
  await execApp(run, { command, ...options, rawOutput: (chunk) => context.output.raw(chunk) });
}

export async function containers(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.showAppContainers(run));
}

export async function staleContainers(context: CommandContext, options: StaleContainersOptions): Promise<void> {
  await withApp(context, (app, run) => app.staleContainers(run, { stop: options.stop }));
}

export async function images(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.showAppImages(run));
}

export async function logs(context: CommandContext, options: AppLogsOptions): Promise<void> {
  const [{ Run }, { appLogs }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/logs.js")]);
  await appLogs(await Run.create(context), options);
}

export async function remove(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.removeApp(run));
}

export async function live(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.liveApp(run));
}

export async function maintenance(context: CommandContext, options: MaintenanceOptions): Promise<void> {
  await withApp(context, (app, run) => app.maintenanceApp(run, options));
}

export async function version(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.showAppVersion(run));
}

export async function removeContainer(context: CommandContext, version: string, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.removeAppContainer(run, version));
}

export async function removeContainers(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.removeAppContainers(run));
}

export async function removeImages(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.removeAppImages(run));
}

export async function removeAppDirectories(context: CommandContext, _options: NoOptions): Promise<void> {
  await withApp(context, (app, run) => app.removeAppDirectories(run));
}

/** Creates the run and hands it to one function of src/deploy/app.ts. */
async function withApp(context: CommandContext, work: (app: typeof AppModule, run: Run) => Promise<void>): Promise<void> {
  const [{ Run }, app] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/app.js")]);
  await work(app, await Run.create(context));
}

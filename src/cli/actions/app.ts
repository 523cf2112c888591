// `berth app …`: server-side stubs, filled in by the orchestration (Kamal's cli/app.rb).

import type { CommandContext } from "../context.js";
import { notImplemented, type NoOptions } from "./not-implemented.js";

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
  const [{ Run }, { bootApp }, { withLock }] = await Promise.all([
    import("../../deploy/run.js"),
    import("../../deploy/app-boot.js"),
    import("../../deploy/lock.js"),
  ]);
  const run = await Run.create(context);
  await withLock(run, () => bootApp(run));
}

export async function start(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app start");
}

export async function stop(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app stop");
}

export async function details(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app details");
}

export async function exec(_context: CommandContext, _command: readonly string[], _options: AppExecOptions): Promise<void> {
  notImplemented("app exec");
}

export async function containers(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app containers");
}

export async function staleContainers(_context: CommandContext, _options: StaleContainersOptions): Promise<void> {
  notImplemented("app stale_containers");
}

export async function images(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app images");
}

export async function logs(_context: CommandContext, _options: AppLogsOptions): Promise<void> {
  notImplemented("app logs");
}

export async function remove(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app remove");
}

export async function live(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app live");
}

export async function maintenance(_context: CommandContext, _options: MaintenanceOptions): Promise<void> {
  notImplemented("app maintenance");
}

export async function version(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app version");
}

export async function removeContainer(_context: CommandContext, _version: string, _options: NoOptions): Promise<void> {
  notImplemented("app remove_container");
}

export async function removeContainers(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app remove_containers");
}

export async function removeImages(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app remove_images");
}

export async function removeAppDirectories(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("app remove_app_directories");
}

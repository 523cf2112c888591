// `berth proxy …`: stubs, filled in by the orchestration (Kamal's cli/proxy.rb).

import type { CommandContext } from "../context.js";
import type { LogsOptions } from "./app.js";
import type { UpgradeOptions } from "./main.js";
import { notImplemented, type NoOptions } from "./not-implemented.js";

export type BootConfigSubcommand = "set" | "get" | "reset";

/** `proxy boot_config set` options (deprecated in Kamal in favour of `proxy.run`). */
export interface BootConfigOptions {
  readonly publish: boolean;
  readonly publishHostIp: readonly string[] | undefined;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly logMaxSize: string;
  readonly registry: string | undefined;
  readonly repository: string | undefined;
  readonly imageVersion: string | undefined;
  readonly metricsPort: number | undefined;
  readonly debug: boolean;
  /** `--docker-options a=b c=d`, each becoming `--a=b`. */
  readonly dockerOptions: readonly string[];
}

export type ProxyLogsOptions = Omit<LogsOptions, "grepOptions">;

export interface ProxyRemoveOptions {
  readonly force: boolean;
}

export async function boot(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("proxy boot");
}

export async function bootConfig(
  _context: CommandContext,
  _subcommand: BootConfigSubcommand,
  _options: BootConfigOptions,
): Promise<void> {
  notImplemented("proxy boot_config");
}

export async function reboot(_context: CommandContext, _options: UpgradeOptions): Promise<void> {
  notImplemented("proxy reboot");
}

export async function upgrade(_context: CommandContext, _options: UpgradeOptions): Promise<void> {
  notImplemented("proxy upgrade");
}

export async function start(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("proxy start");
}

export async function stop(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("proxy stop");
}

export async function restart(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("proxy restart");
}

export async function details(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("proxy details");
}

export async function logs(_context: CommandContext, _options: ProxyLogsOptions): Promise<void> {
  notImplemented("proxy logs");
}

export async function remove(_context: CommandContext, _options: ProxyRemoveOptions): Promise<void> {
  notImplemented("proxy remove");
}

export async function removeContainer(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("proxy remove_container");
}

export async function removeImage(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("proxy remove_image");
}

export async function removeProxyDirectory(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("proxy remove_proxy_directory");
}

// `berth accessory …`: server-side stubs, filled in by the orchestration (Kamal's
// cli/accessory.rb). NAME is an accessory name or `all` where Kamal allows it.

import type { CommandContext } from "../context.js";
import type { LogsOptions } from "./app.js";
import { notImplemented, type NoOptions } from "./not-implemented.js";
import type { ConfirmedOptions, UpgradeOptions } from "./main.js";

export interface AccessoryExecOptions {
  readonly interactive: boolean;
  readonly reuse: boolean;
  readonly raw: boolean;
}

export type AccessoryLogsOptions = LogsOptions;

export async function boot(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory boot");
}

export async function upload(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory upload");
}

export async function directories(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory directories");
}

export async function reboot(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory reboot");
}

export async function start(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory start");
}

export async function stop(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory stop");
}

export async function restart(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory restart");
}

export async function details(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory details");
}

export async function exec(
  _context: CommandContext,
  _name: string,
  _command: readonly string[],
  _options: AccessoryExecOptions,
): Promise<void> {
  notImplemented("accessory exec");
}

export async function logs(_context: CommandContext, _name: string, _options: AccessoryLogsOptions): Promise<void> {
  notImplemented("accessory logs");
}

export async function pullImage(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory pull_image");
}

export async function remove(_context: CommandContext, _name: string, _options: ConfirmedOptions): Promise<void> {
  notImplemented("accessory remove");
}

export async function removeContainer(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory remove_container");
}

export async function removeImage(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory remove_image");
}

export async function removeServiceDirectory(_context: CommandContext, _name: string, _options: NoOptions): Promise<void> {
  notImplemented("accessory remove_service_directory");
}

export async function upgrade(_context: CommandContext, _name: string, _options: UpgradeOptions): Promise<void> {
  notImplemented("accessory upgrade");
}

// Top-level server-side commands. Stubs: the orchestration fills these in (Kamal's cli/main.rb).

import type { CommandContext } from "../context.js";
import { notImplemented, type NoOptions } from "./not-implemented.js";

export interface DeployOptions {
  /** -P/--skip-push: pull the image on the hosts instead of building and pushing it. */
  readonly skipPush: boolean;
  /** False with --no-cache: build without Docker's build cache. */
  readonly cache: boolean;
}

export interface DeployPlanOptions extends DeployOptions {
  /** --plan: print every command per host, run nothing. */
  readonly plan: boolean;
}

export interface ConfirmedOptions {
  /** -y/--confirmed: skip the confirmation question. */
  readonly confirmed: boolean;
}

export interface UpgradeOptions extends ConfirmedOptions {
  readonly rolling: boolean;
}

export async function setup(_context: CommandContext, _options: DeployOptions): Promise<void> {
  notImplemented("setup");
}

export async function deploy(_context: CommandContext, _options: DeployPlanOptions): Promise<void> {
  notImplemented("deploy");
}

export async function redeploy(_context: CommandContext, _options: DeployOptions): Promise<void> {
  notImplemented("redeploy");
}

export async function rollback(_context: CommandContext, _version: string, _options: NoOptions): Promise<void> {
  notImplemented("rollback");
}

export async function details(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("details");
}

export async function audit(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("audit");
}

export async function remove(_context: CommandContext, _options: ConfirmedOptions): Promise<void> {
  notImplemented("remove");
}

export async function upgrade(_context: CommandContext, _options: UpgradeOptions): Promise<void> {
  notImplemented("upgrade");
}

/** Berth's preflight: configuration, secrets, SSH, Docker, registry, ports, before any deploy. */
export async function doctor(_context: CommandContext, _options: NoOptions): Promise<void> {
  notImplemented("doctor");
}

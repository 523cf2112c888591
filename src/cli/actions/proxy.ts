// `berth proxy …`: stubs, filled in by the orchestration (Kamal's cli/proxy.rb).

import type * as ProxyModule from "../../deploy/proxy.js";
import type { Run } from "../../deploy/run.js";
import type { CommandContext } from "../../core/context.js";
import type { LogsOptions } from "./app.js";
import type { UpgradeOptions } from "./main.js";
import type { NoOptions } from "./no-options.js";

type ProxyOrchestration = typeof ProxyModule;

/** Creates the run and hands it to one function of src/deploy/proxy.ts. */
async function withProxy(context: CommandContext, work: (proxy: ProxyOrchestration, run: Run) => Promise<void>): Promise<void> {
  const [{ Run }, proxy] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/proxy.js")]);
  await work(proxy, await Run.create(context));
}

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

export async function boot(context: CommandContext, _options: NoOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.bootProxy(run));
}

export async function bootConfig(context: CommandContext, subcommand: BootConfigSubcommand, options: BootConfigOptions): Promise<void> {
  await withProxy(context, (proxy, run) => {
    if (subcommand === "get") return proxy.bootConfigGet(run);
    if (subcommand === "reset") return proxy.bootConfigReset(run);
    return proxy.bootConfigSet(run, {
      publish: options.publish,
      httpPort: options.httpPort,
      httpsPort: options.httpsPort,
      ...(options.publishHostIp === undefined ? {} : { publishHostIps: options.publishHostIp }),
      logMaxSize: options.logMaxSize,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      ...(options.repository === undefined ? {} : { repository: options.repository }),
      ...(options.imageVersion === undefined ? {} : { imageVersion: options.imageVersion }),
      ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
      debug: options.debug,
      dockerOptions: options.dockerOptions,
    });
  });
}

export async function reboot(context: CommandContext, options: UpgradeOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.rebootProxy(run, { rolling: options.rolling, confirmed: options.confirmed }));
}

export async function upgrade(context: CommandContext, options: UpgradeOptions): Promise<void> {
  const [{ Run }, { upgradeProxy }, { versionConfigs }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/upgrade.js"), import("../version-context.js")]);
  await upgradeProxy(await Run.create(context), { rolling: options.rolling, confirmed: options.confirmed, configFor: versionConfigs(context) });
}

export async function start(context: CommandContext, _options: NoOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.startProxy(run));
}

export async function stop(context: CommandContext, _options: NoOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.stopProxy(run));
}

export async function restart(context: CommandContext, _options: NoOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.restartProxy(run));
}

export async function details(context: CommandContext, _options: NoOptions): Promise<void> {
  const [{ Run }, { showProxyDetails }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/details.js")]);
  await showProxyDetails(await Run.create(context));
}

export async function logs(context: CommandContext, options: ProxyLogsOptions): Promise<void> {
  const [{ Run }, { proxyLogs }] = await Promise.all([import("../../deploy/run.js"), import("../../deploy/logs.js")]);
  await proxyLogs(await Run.create(context), options);
}

export async function remove(context: CommandContext, options: ProxyRemoveOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.removeProxy(run, { force: options.force }));
}

export async function removeContainer(context: CommandContext, _options: NoOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.removeProxyPart(run, "container"));
}

export async function removeImage(context: CommandContext, _options: NoOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.removeProxyPart(run, "image"));
}

export async function removeProxyDirectory(context: CommandContext, _options: NoOptions): Promise<void> {
  await withProxy(context, (proxy, run) => proxy.removeProxyPart(run, "directory"));
}

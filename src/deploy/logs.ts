// `app logs`, `accessory logs NAME` and `proxy logs` (Kamal's cli/{app,accessory,proxy}.rb#logs):
// the last lines from every host, or with -f the output followed on one host (the primary host,
// or the accessory's first) until Ctrl-C.
import { accessory as accessoryCommands, app as appCommands, proxy as proxyCommands } from "../commands/index.js";
import { CommandFailedError } from "../transport/index.js";
import { BerthError } from "../util/errors.js";
import { follow, type Spawner } from "./interactive.js";
import type { Run } from "./run.js";
import { accessoryHosts, accessoryNamed } from "./scope.js";

export interface LogsRequest {
  readonly since?: string | undefined;
  readonly lines?: number | undefined;
  readonly grep?: string | undefined;
  readonly grepOptions?: string | undefined;
  readonly follow: boolean;
  readonly skipTimestamps: boolean;
  readonly containerId?: string | undefined;
  /** Tests: whether there is a terminal for `-f`, and what spawns the ssh then. */
  readonly terminal?: boolean;
  readonly spawner?: Spawner;
}

/** Kamal's default: 10 lines when following, 100 otherwise, none when --since or --grep narrows. */
export function defaultLines(request: Pick<LogsRequest, "lines" | "since" | "grep">, following: boolean): number | undefined {
  if (request.lines !== undefined) {
    if (!Number.isInteger(request.lines) || request.lines < 0) throw new BerthError(`--lines must be a whole number, got ${request.lines}`, "ArgumentError");
    return request.lines;
  }
  if (request.since !== undefined || request.grep !== undefined) return undefined;
  return following ? 10 : 100;
}

function filters(request: LogsRequest, following: boolean): { timestamps: boolean; lines?: number; grep?: string; grepOptions?: string } {
  const lines = defaultLines(request, following);
  return {
    timestamps: !request.skipTimestamps,
    ...(lines === undefined ? {} : { lines }),
    ...(request.grep === undefined ? {} : { grep: request.grep }),
    ...(request.grepOptions === undefined ? {} : { grepOptions: request.grepOptions }),
  };
}

function followOptions(request: LogsRequest): { terminal?: boolean; spawner?: Spawner } {
  return { ...(request.terminal === undefined ? {} : { terminal: request.terminal }), ...(request.spawner === undefined ? {} : { spawner: request.spawner }) };
}

export async function appLogs(run: Run, request: LogsRequest): Promise<void> {
  const source = request.containerId === undefined ? {} : { containerId: request.containerId };
  if (request.follow) {
    const host = run.selection.primaryHost;
    const role = host === undefined ? undefined : (run.selection.primaryRole ?? run.selection.rolesOn(host)[0]);
    if (host === undefined || role === undefined) throw new BerthError("No primary host with an app role to follow logs on");
    return follow(run, host, appCommands.followLogs(run.config, role, { ...filters(request, true), ...source }), followOptions(request));
  }
  const options = { ...filters(request, false), ...source, ...(request.since === undefined ? {} : { since: request.since }) };
  const outputs = await run.on(run.selection.appHosts, async (host) => {
    const texts: string[] = [];
    for (const role of run.selection.rolesOn(host)) texts.push(await captureOrNothing(run, host, appCommands.logs(run.config, role, options)));
    return { host, texts };
  });
  for (const { host, texts } of outputs) for (const text of texts) run.output.putsByHost(host, text);
}

export async function accessoryLogs(run: Run, name: string, request: LogsRequest): Promise<void> {
  const accessory = accessoryNamed(run, name);
  const hosts = accessoryHosts(run, accessory);
  if (request.follow) {
    const host = hosts[0];
    if (host === undefined) return;
    const options = { ...filters(request, true), ...(request.since === undefined ? {} : { since: request.since }) };
    return follow(run, host, accessoryCommands.followLogs(accessory, options), followOptions(request));
  }
  const options = { ...filters(request, false), ...(request.since === undefined ? {} : { since: request.since }) };
  const outputs = await run.on(hosts, (host) => captureOrNothing(run, host, accessoryCommands.logs(accessory, options)));
  for (const text of outputs) run.output.print(text);
}

export async function proxyLogs(run: Run, request: LogsRequest): Promise<void> {
  if (request.follow) {
    const host = run.selection.primaryHost;
    if (host === undefined) throw new BerthError("No primary host to follow the proxy logs on");
    const { timestamps, grep, grepOptions } = filters(request, true);
    return follow(run, host, proxyCommands.followLogs({ timestamps, ...(grep === undefined ? {} : { grep }), ...(grepOptions === undefined ? {} : { grepOptions }) }), followOptions(request));
  }
  const options = { ...filters(request, false), ...(request.since === undefined ? {} : { since: request.since }) };
  const outputs = await run.on(run.selection.proxyHosts, async (host) => ({
    host,
    text: await run.capture(host, proxyCommands.logs(options), { level: "debug" }),
  }));
  for (const { host, text } of outputs) run.output.putsByHost(host, text, { type: "Proxy" });
}

/** The logs, or Kamal's "Nothing found" when the pipeline fails (no container, grep found nothing). */
async function captureOrNothing(run: Run, host: string, command: Parameters<Run["capture"]>[1]): Promise<string> {
  try {
    return await run.capture(host, command);
  } catch (error) {
    if (error instanceof CommandFailedError) return "Nothing found";
    throw error;
  }
}

// `server exec CMD… [-i] [--raw]` (Kamal's cli/server.rb#exec): the command as typed, run by the
// login shell of every selected host (or interactively over `ssh -t` on the primary host).
import { auditor, cmd } from "../commands/index.js";
import { BerthError } from "../util/errors.js";
import { checkExecOptions } from "./app-exec.js";
import { onEachHost, type RawRequest } from "./exec-output.js";
import { runInteractively, type Spawner } from "./interactive.js";
import type { Run } from "./run.js";

export interface ServerExecRequest extends RawRequest {
  readonly command: readonly string[];
  readonly interactive: boolean;
  readonly spawner?: Spawner;
}

export async function execOnServers(run: Run, request: ServerExecRequest): Promise<void> {
  const command = checkExecOptions({ ...request, reuse: false, detach: false });
  const say = (message: string): void => {
    if (!request.raw) run.say(message);
  };
  if (request.interactive) {
    const host = run.selection.primaryHost;
    if (host === undefined) throw new BerthError("No primary host to run the interactive command on");
    say(`Running '${command}' on ${host} interactively...`);
    return runInteractively(run, host, cmd(command), request.spawner);
  }
  const hosts = run.selection.hosts;
  say(`Running '${command}' on ${hosts.join(", ")}...`);
  const tags = await run.tags();
  await onEachHost(run, { ...request, loginShell: true }, hosts, (host) => [host], async (host) => ({
    steps: [{ command: auditor.record(run.config, tags, `Executed cmd '${command}' on ${host}`), label: "audit" }],
    command: cmd(command),
  }));
}

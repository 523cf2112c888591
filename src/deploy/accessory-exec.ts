// `accessory exec NAME CMD… [-i] [--reuse] [--raw]` (Kamal's cli/accessory.rb#exec). As for
// `app exec`, a new container gets the accessory's env file uploaded first (0600, on stdin).
import { accessory as accessoryCommands, auditor, envFile, type Cmd } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import type { Accessory } from "../config/index.js";
import { upload as uploadFile } from "../commands/upload.js";
import { BerthError } from "../util/errors.js";
import { checkExecOptions } from "./app-exec.js";
import { batchAll, onEachHost, type RawRequest } from "./exec-output.js";
import { runInteractively, type Spawner } from "./interactive.js";
import type { Run } from "./run.js";
import { accessoryHosts, accessoryNamed, loginCommand } from "./scope.js";

export interface AccessoryExecRequest extends RawRequest {
  readonly command: readonly string[];
  readonly interactive: boolean;
  readonly reuse: boolean;
  readonly spawner?: Spawner;
  readonly terminal?: boolean;
}

export async function execAccessory(run: Run, name: string, request: AccessoryExecRequest): Promise<void> {
  const command = checkExecOptions({ ...request, detach: false });
  const accessory = accessoryNamed(run, name);
  const say = (message: string): void => {
    if (!request.raw) run.say(message);
  };
  const interactive = (request.terminal ?? process.stdin.isTTY === true) ? "tty" : "pipe";

  if (request.interactive) {
    const host = accessory.hosts[0];
    if (host === undefined) throw new BerthError(`Accessory ${name} has no hosts to run the interactive command on`);
    if (request.reuse) {
      say("Launching interactive command via SSH from existing container...");
      return runInteractively(run, host, accessoryCommands.execInExistingContainer(accessory, command, { interactive }), request.spawner);
    }
    say("Launching interactive command via SSH from new container...");
    const login = loginCommand(run.config.registry);
    await batchAll(run, host, [...(login === null ? [] : [{ command: login, label: "registry login" }]), ...envFileSteps(run, accessory)]);
    return runInteractively(run, host, accessoryCommands.execInNewContainer(accessory, command, { interactive }), request.spawner);
  }

  const line = await auditLine(run, `Executed cmd '${command}' on ${name} accessory`);
  const hosts = accessoryHosts(run, accessory);
  if (request.reuse) {
    say("Launching command from existing container...");
    return onEachHost(run, request, hosts, () => [accessory], async () => ({
      steps: [{ command: line, label: "audit" }],
      command: accessoryCommands.execInExistingContainer(accessory, command),
    }));
  }
  say("Launching command from new container...");
  const login = loginCommand(run.config.registry);
  await onEachHost(run, request, hosts, () => [accessory], async () => ({
    steps: [...(login === null ? [] : [{ command: login, label: "registry login" }]), { command: line, label: "audit" }, ...envFileSteps(run, accessory)],
    command: accessoryCommands.execInNewContainer(accessory, command),
  }));
}

function envFileSteps(run: Run, accessory: Accessory): BatchStep[] {
  const upload = uploadFile(accessory.envFilePath, envFile.accessoryEnvFile(run.config, accessory));
  return [
    { command: accessoryCommands.ensureEnvDirectory(accessory), label: "env directory" },
    { command: upload, label: "env file" },
  ];
}

async function auditLine(run: Run, line: string): Promise<Cmd> {
  return auditor.record(run.config, await run.tags(), line);
}

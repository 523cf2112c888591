// `app exec CMD… [-i] [--reuse] [-e K:V] [--detach] [--raw]` (Kamal's cli/app.rb#exec): a command
// in a new container of the app image on every app host and role, or in the running container
// (`--reuse`), or interactively over `ssh -t` on the primary host (`-i`).
// Unlike Kamal (basecamp/kamal#1180), a new container gets the role's env file uploaded first
// (0600, on stdin), so it sees the role's secrets even on a host that was never deployed to and
// after secrets changed.
import { randomBytes } from "node:crypto";
import { app as appCommands, auditor, envFile, type Cmd } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import type { Interactive } from "../commands/app/execution.js";
import type { Configuration, Role } from "../config/index.js";
import { upload as uploadFile } from "../commands/upload.js";
import { BerthError } from "../util/errors.js";
import { batchAll, onEachHost, type RawRequest } from "./exec-output.js";
import { runInteractively, type Spawner } from "./interactive.js";
import type { Run } from "./run.js";
import { loginCommand } from "./scope.js";

export interface AppExecRequest extends RawRequest {
  /** The words after `exec`, joined as Kamal does (each stripped, joined by spaces). */
  readonly command: readonly string[];
  readonly interactive: boolean;
  readonly reuse: boolean;
  readonly detach: boolean;
  readonly env: Readonly<Record<string, string>> | undefined;
  /** Tests replace the terminal ssh. */
  readonly spawner?: Spawner;
  /** Tests say whether standard input is a terminal (`-it` or `-i`). */
  readonly terminal?: boolean;
}

/** Kamal::Utils.join_commands */
export function joinCommand(words: readonly string[]): string {
  return words.map((word) => word.trim()).join(" ");
}

/** Kamal's refusals, checked before anything connects. */
export function checkExecOptions(request: Pick<AppExecRequest, "command" | "interactive" | "reuse" | "detach" | "raw">): string {
  if (request.detach) {
    const incompatible = [request.interactive ? "interactive" : null, request.reuse ? "reuse" : null].filter((item) => item !== null);
    if (incompatible.length > 0) throw new BerthError(`Detach is not compatible with ${incompatible.join(" or ")}`, "ArgumentError");
  }
  if (request.raw && request.interactive) throw new BerthError("Raw is not compatible with interactive", "ArgumentError");
  const command = joinCommand(request.command);
  if (command === "") throw new BerthError("No command provided. You must specify a command to execute.", "ArgumentError");
  return command;
}

/** The configuration as Kamal's `using_version` leaves it: image, container names and KAMAL_VERSION of `version`. */
export function configForVersion(config: Configuration, version: string): Configuration {
  if (version === config.version) return config;
  return Object.create(config, { version: { value: version } }) as Configuration;
}

export async function execApp(run: Run, request: AppExecRequest): Promise<void> {
  const command = checkExecOptions(request);
  const say = (message: string): void => {
    if (!request.raw) run.say(message);
  };
  const explicit = run.globals.version;
  const env = request.env ?? {};

  if (request.reuse) {
    if (explicit === undefined) say("Get current version of running container...");
    const version = explicit ?? (await currentRunningVersion(run)) ?? run.config.version;
    const config = configForVersion(run.config, version);
    if (request.interactive) {
      const host = primaryHost(run);
      say(`Launching interactive command with version ${version} via SSH from existing container on ${host}...`);
      const role = primaryRole(run);
      return runInteractively(run, host, appCommands.execInExistingContainer(config, role, { command, env, interactive: interactiveMode(request) }), request.spawner);
    }
    say(`Launching command with version ${version} from existing container...`);
    return onEachHost(run, request, run.selection.appHosts, (host) => run.selection.rolesOn(host), async (_host, role) => ({
      steps: [{ command: await auditLine(run, `Executed cmd '${command}' on app version ${version}`, role), label: "audit" }],
      command: appCommands.execInExistingContainer(config, role, { command, env }),
    }));
  }

  if (explicit === undefined) say("Get most recent version available as an image...");
  const version = explicit ?? run.config.latestTag;
  const config = configForVersion(run.config, version);
  if (request.interactive) {
    const host = primaryHost(run);
    const role = primaryRole(run);
    say(`Launching interactive command with version ${version} via SSH from new container on ${host}...`);
    const login = loginCommand(run.config.registry);
    await batchAll(run, host, [...(login === null ? [] : [{ command: login, label: "registry login" }]), ...envFileSteps(run, host, role)]);
    const exec = appCommands.execInNewContainer(config, role, { command, env, host, random: random6(), interactive: interactiveMode(request) });
    return runInteractively(run, host, exec, request.spawner);
  }
  say(`Launching command with version ${version} from new container...`);
  const login = loginCommand(run.config.registry);
  await onEachHost(run, request, run.selection.appHosts, (host) => run.selection.rolesOn(host), async (host, role, first) => ({
    steps: [
      ...(first && login !== null ? [{ command: login, label: "registry login" }] : []),
      { command: await auditLine(run, `Executed cmd '${command}' on app version ${version}`), label: "audit" },
      ...envFileSteps(run, host, role),
    ],
    command: appCommands.execInNewContainer(config, role, { command, env, host, random: random6(), detach: request.detach }),
  }));
}

/** The env directory and the role's env file (mode 0600, body on stdin), before a new container. */
function envFileSteps(run: Run, host: string, role: Role): BatchStep[] {
  const upload = uploadFile(role.envFilePath, envFile.roleEnvFile(run.config, role, host));
  return [
    { command: appCommands.ensureEnvDirectory(role), label: "env directory" },
    { command: upload, label: "env file" },
  ];
}

async function auditLine(run: Run, line: string, role?: Role): Promise<Cmd> {
  return auditor.record(run.config, await run.tags(), line, role === undefined ? {} : { role: role.name });
}

/** The current version on the primary host's first role (Kamal's `current_running_version`). */
async function currentRunningVersion(run: Run): Promise<string | undefined> {
  const host = primaryHost(run);
  const role = run.selection.rolesOn(host)[0];
  if (role === undefined) return undefined;
  const version = await run.capture(host, appCommands.currentRunningVersion(run.config, role));
  return version === "" ? undefined : version;
}

function primaryHost(run: Run): string {
  const host = run.selection.primaryHost;
  if (host === undefined) throw new BerthError("No primary host to run the interactive command on");
  return host;
}

function primaryRole(run: Run): Role {
  const role = run.selection.primaryRole;
  if (role === undefined) throw new BerthError(`No role runs on the primary host ${primaryHost(run)}`);
  return role;
}

function interactiveMode(request: Pick<AppExecRequest, "terminal">): Interactive {
  return (request.terminal ?? process.stdin.isTTY === true) ? "tty" : "pipe";
}

function random6(): string {
  return randomBytes(3).toString("hex");
}

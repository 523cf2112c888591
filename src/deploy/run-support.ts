// The run's ties to this machine: the environment of child processes, local commands and their
// default transport, remote commands' options, who is deploying (git, else the login name), and the SSH transport's interactive side.
import { execFile } from "node:child_process";
import { userInfo } from "node:os";
import { render } from "../commands/index.js";
import type { Cmd } from "../core/cmd.js";
import { LOCAL_HOST, LocalTransport, type RunOptions, type RunResult, type Transport } from "../transport/index.js";
import type { DisplayBridge } from "./display.js";
import type { ExecOptions, Identity, LocalOptions, LocalTransportFactory } from "./run-options.js";

/** What a remote command's options say to the transport. */
export function remoteRunOptions(options: ExecOptions): RunOptions {
  return {
    ...(options.allowFailure ? { allowFailure: true } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.loginShell ? { loginShell: true } : {}),
    ...(options.raw ? { raw: true } : {}),
    ...(options.onStdout === undefined ? {} : { onStdout: options.onStdout }),
    ...(options.onStdoutBytes === undefined ? {} : { onStdoutBytes: options.onStdoutBytes }),
  };
}

/** A command on this machine, through the run's local transport (a test's or a plan's stand-in, else real processes). */
export function runLocal(
  run: { cwd: string; env: Readonly<Record<string, string | undefined>>; display: DisplayBridge; factory: LocalTransportFactory | undefined },
  command: Cmd,
  options: LocalOptions,
): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...processEnvironment(run.env), ...(options.env ?? {}) };
  const transport = (run.factory ?? defaultLocal)({ cwd: options.cwd ?? run.cwd, env, display: run.display });
  run.display.expect(LOCAL_HOST, render(command), { level: options.level ?? "info", ...(options.shown === undefined ? {} : { shown: options.shown }) });
  return transport.run(LOCAL_HOST, command, {
    ...(options.allowFailure ? { allowFailure: true } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.dieWithParent ? { dieWithParent: true } : {}),
  });
}

interface InteractiveTransport extends Transport {
  interactiveCommand(host: string, command: Cmd): Promise<{ command: string; args: string[] }>;
}

export function isInteractive(transport: Transport): transport is InteractiveTransport {
  return typeof (transport as Partial<InteractiveTransport>).interactiveCommand === "function";
}

function defaultLocal({ cwd, env, display }: { cwd: string; env: NodeJS.ProcessEnv; display: DisplayBridge }): Transport {
  return new LocalTransport({ cwd, env, observers: [display] });
}

/** The environment for child processes: the CLI's (which is process.env outside tests). */
export function processEnvironment(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  // Tests pass a bare environment: keep PATH and HOME so ssh, git and docker are found.
  result.PATH ??= process.env.PATH;
  result.HOME ??= process.env.HOME;
  return result;
}

/** `git config user.email`/`user.name` in `cwd`, else the login name and "Unknown" (Kamal's performer and "Locked by"). */
export async function localIdentity(cwd: string): Promise<Identity> {
  const [email, name] = await Promise.all([git(cwd, ["config", "user.email"]), git(cwd, ["config", "user.name"])]);
  return { performer: email || loginName(), userName: name || "Unknown" };
}

function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd, encoding: "utf8" }, (error, stdout) => resolve(error ? "" : stdout.trim()));
  });
}

function loginName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

// The run's ties to this machine: the environment of child processes, local commands' default
// transport, who is deploying (git, else the login name), and the SSH transport's interactive side.
import { execFile } from "node:child_process";
import { userInfo } from "node:os";
import type { Cmd } from "../core/cmd.js";
import { LocalTransport, type Transport } from "../transport/index.js";
import type { DisplayBridge } from "./display.js";
import type { ExecOptions, Identity } from "./run-options.js";

export function streaming(options: ExecOptions): Pick<ExecOptions, "raw" | "onStdout" | "onStdoutBytes"> {
  return {
    ...(options.raw ? { raw: true } : {}),
    ...(options.onStdout === undefined ? {} : { onStdout: options.onStdout }),
    ...(options.onStdoutBytes === undefined ? {} : { onStdoutBytes: options.onStdoutBytes }),
  };
}

interface InteractiveTransport extends Transport {
  interactiveCommand(host: string, command: Cmd): Promise<{ command: string; args: string[] }>;
}

export function isInteractive(transport: Transport): transport is InteractiveTransport {
  return typeof (transport as Partial<InteractiveTransport>).interactiveCommand === "function";
}

export function defaultLocal({ cwd, env, display }: { cwd: string; env: NodeJS.ProcessEnv; display: DisplayBridge }): Transport {
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

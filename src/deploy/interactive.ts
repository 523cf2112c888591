// Commands that need the user's terminal (`exec -i`, `logs -f`): Kamal replaces itself with
// `ssh -t host '<command>'`. Berth spawns the same ssh line over the run's shared connection with
// the terminal attached, and ends with its exit status. Without a terminal (CI, pipes), followed
// output is streamed through the ordinary transport instead.
import { spawn } from "node:child_process";
import { ssh as sshCommands, type Cmd } from "../commands/index.js";
import { BerthError } from "../util/errors.js";
import type { Run } from "./run.js";

/** How a spawned interactive ssh is started (replaced in tests). */
export type Spawner = (command: string, args: readonly string[]) => Promise<number>;

const inheritStdio: Spawner = (command, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });

/** Runs `command` on `host` over `ssh -t` with this terminal; fails when it exits non-zero. */
export async function runInteractively(run: Run, host: string, command: Cmd, spawner: Spawner = inheritStdio): Promise<void> {
  const { command: ssh, args } = await run.interactiveCommand(host, command);
  run.output.close(); // the live view must not draw over the remote terminal
  const code = await spawner(ssh, args);
  if (code !== 0) throw new BerthError(`The interactive command on ${host} exited with status ${code}`, "Berth::InteractiveExit");
}

/**
 * `logs -f`: Kamal's "Following logs on <host>..." and its ssh line, then the output until the
 * remote command ends (or Ctrl-C).
 */
export async function follow(run: Run, host: string, command: Cmd, options: { terminal?: boolean; spawner?: Spawner } = {}): Promise<void> {
  run.output.info(`Following logs on ${host}...`);
  run.output.info(sshCommands.overSsh(run.config, host, command));
  if (options.terminal ?? process.stdin.isTTY === true) return runInteractively(run, host, command, options.spawner);
  await run.exec(host, command, { level: "debug", onStdoutBytes: (chunk) => run.output.raw(chunk) });
}

// A private ssh-agent for the run, holding `ssh.key_data` keys. Keys reach it through ssh-add's
// standard input, so they never touch the disk or any process's arguments; it dies with close().
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Redacted } from "../core/cmd.js";
import { BerthError } from "../util/errors.js";
import { runChild } from "./child.js";

export class PrivateAgent {
  private constructor(
    private readonly process: ChildProcess,
    readonly socket: string,
    readonly publicKeyFiles: readonly string[],
  ) {}

  static async start(dir: string, keys: readonly Redacted[]): Promise<PrivateAgent> {
    const socket = join(dir, "agent.sock");
    // -D: stay in the foreground as our child, so close() can end it by PID.
    const agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    const failed = new Promise<never>((_, reject) => {
      agent.on("error", (error) => reject(new BerthError(`ssh.key_data: cannot start ssh-agent: ${error.message}`)));
      agent.on("exit", (code) => reject(new BerthError(`ssh.key_data: ssh-agent exited (${code}) before it was ready`)));
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (!existsSync(socket)) {
      if (Date.now() > deadline) {
        agent.kill();
        throw new BerthError("ssh.key_data: ssh-agent did not create its socket within 5 s");
      }
      await Promise.race([failed, new Promise((resolve) => setTimeout(resolve, 10))]);
    }
    const env = { ...process.env, SSH_AUTH_SOCK: socket };
    try {
      for (const [index, key] of keys.entries()) {
        const body = key.value.endsWith("\n") ? key.value : `${key.value}\n`;
        const added = await runChild({ command: "ssh-add", args: ["-q", "-"], stdin: Buffer.from(body), env });
        if (added.code !== 0) {
          throw new BerthError(`ssh.key_data[${index}]: ssh-add rejected the key: ${added.stderr.trim() || `exit ${added.code}`}`);
        }
      }
      const listed = await runChild({ command: "ssh-add", args: ["-L"], env });
      const publicKeys = listed.stdout.split("\n").filter((line) => line.trim() !== "");
      // Public halves as files, so `-i` can select agent keys even with IdentitiesOnly (keys_only).
      const files = publicKeys.map((line, index) => {
        const file = join(dir, `key_data_${index}.pub`);
        writeFileSync(file, `${line}\n`, { mode: 0o600 });
        return file;
      });
      return new PrivateAgent(agent, socket, files);
    } catch (error) {
      agent.kill();
      throw error;
    }
  }

  stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.process.once("exit", () => resolve()));
    this.process.kill("SIGTERM");
    return exited;
  }
}

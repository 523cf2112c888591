// The run's private directory (mode 0700): ssh's control sockets, the ssh config written for the
// run and the locally forwarded sockets; and the private agent holding `ssh.key_data`'s keys.
// Made on first use, removed (and the agent stopped) when the transport closes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrivateAgent } from "./agent.js";
import { sshConfigFileContent } from "./ssh-args.js";
import type { SshSettings } from "./ssh-settings.js";

export class SshPrivateDirectory {
  private path?: string;
  private agent?: Promise<PrivateAgent | undefined>;

  constructor(private readonly settings: SshSettings) {}

  ensure(): string {
    if (!this.path) {
      // Short base path: ssh's control sockets must fit a 104-108 byte socket address.
      const base = tmpdir().length <= 40 ? tmpdir() : "/tmp";
      this.path = mkdtempSync(join(base, "berth-ssh-")); // mode 0700
      writeFileSync(join(this.path, "config"), sshConfigFileContent(this.settings.config), { mode: 0o600 });
    }
    return this.path;
  }

  /** The agent for `key_data` (none without keys), started in `dir` on first use. */
  ensureAgent(dir: string): Promise<PrivateAgent | undefined> {
    if (!this.agent) {
      const keys = this.settings.keyData ?? [];
      this.agent = keys.length === 0 ? Promise.resolve(undefined) : PrivateAgent.start(dir, keys);
    }
    return this.agent;
  }

  async remove(): Promise<void> {
    const agent = await this.agent?.catch(() => undefined);
    this.agent = undefined;
    await agent?.stop();
    if (this.path) rmSync(this.path, { recursive: true, force: true });
    this.path = undefined;
  }
}

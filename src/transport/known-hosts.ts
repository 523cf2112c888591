// Whether a host's SSH key is already known, read without connecting: `ssh -G` resolves the
// host as Berth's connection would (the user's config, deploy.yml's `ssh:`, Berth's defaults),
// then `ssh-keygen -F` looks it up in each known_hosts file that applies. Nothing is written:
// connecting with Berth's default `StrictHostKeyChecking accept-new` would record an unknown key.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { runChild } from "./child.js";
import { parseHost } from "./host.js";
import { sshConfigFileContent, sshOptionArgs, type SshInvocation } from "./ssh-args.js";
import type { SshSettings } from "./ssh-settings.js";

export interface KnownHostStatus {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  /** The name keys are recorded under: `host`, `[host]:port`, or the HostKeyAlias. */
  readonly lookupName: string;
  /** StrictHostKeyChecking as ssh will apply it (`yes`, `accept-new`, `ask`, `no`…). */
  readonly strictHostKeyChecking: string;
  /** The file that holds the key, when one does. */
  readonly knownIn: string | undefined;
  /** Key types recorded for the host, e.g. `ssh-ed25519`. */
  readonly keyTypes: readonly string[];
  /** The files searched. */
  readonly files: readonly string[];
}

/** `ssh -G` output as a map (first value of each key, as ssh keeps it). */
export function parseSshConfigDump(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0 && !values.has(line.slice(0, space))) values.set(line.slice(0, space), line.slice(space + 1).trim());
  }
  return values;
}

/** The name known_hosts records a host under: the HostKeyAlias, else the host, bracketed with a port other than 22. */
export function knownHostsName(options: ReadonlyMap<string, string>, fallbackHost: string): string {
  const alias = options.get("hostkeyalias");
  if (alias !== undefined && alias !== "none") return alias;
  const hostname = options.get("hostname") ?? fallbackHost;
  const port = Number(options.get("port") ?? 22);
  return port === 22 ? hostname : `[${hostname}]:${port}`;
}

/** The known_hosts files ssh reads for a host, user files first, `~` expanded. */
export function knownHostsFiles(options: ReadonlyMap<string, string>, home: string = homedir()): string[] {
  const files = [options.get("userknownhostsfile") ?? "~/.ssh/known_hosts", options.get("globalknownhostsfile") ?? "/etc/ssh/ssh_known_hosts"]
    .flatMap((list) => list.split(/\s+/))
    .filter((file) => file !== "" && file !== "none" && file !== "/dev/null")
    .map((file) => (file === "~" || file.startsWith("~/") ? `${home}${file.slice(1)}` : file));
  return [...new Set(files)];
}

/** Looks the host's key up the way its connection would (see the module comment). */
export async function knownHostStatus(settings: SshSettings, host: string, env: NodeJS.ProcessEnv = process.env): Promise<KnownHostStatus> {
  const parsed = parseHost(host);
  const dir = mkdtempSync(join(tmpdir().length <= 40 ? tmpdir() : "/tmp", "berth-ssh-g-"));
  try {
    const configFile = join(dir, "config");
    writeFileSync(configFile, sshConfigFileContent(settings.config), { mode: 0o600 });
    const invocation: SshInvocation = {
      settings,
      host: parsed,
      controlPath: "none",
      controlPersistSeconds: 1,
      connectTimeoutSeconds: 1,
      batchMode: true,
      configFile,
    };
    const dump = await runChild({ command: "ssh", args: [...sshOptionArgs(invocation), "-G", "--", parsed.hostname], env });
    const options = parseSshConfigDump(dump.code === 0 ? dump.stdout : "");
    const lookupName = knownHostsName(options, parsed.hostname);
    const files = knownHostsFiles(options, env.HOME ?? homedir());
    let knownIn: string | undefined;
    let keyTypes: string[] = [];
    for (const file of files) {
      const found = await runChild({ command: "ssh-keygen", args: ["-F", lookupName, "-f", file], env });
      const types = found.stdout
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => line.split(/\s+/)[1] ?? "")
        .filter((type) => type !== "");
      if (found.code === 0 && types.length > 0) {
        knownIn = file;
        keyTypes = types;
        break;
      }
    }
    return {
      hostname: options.get("hostname") ?? parsed.hostname,
      port: Number(options.get("port") ?? parsed.port ?? 22),
      user: options.get("user") ?? parsed.user ?? "root",
      lookupName,
      strictHostKeyChecking: options.get("stricthostkeychecking") ?? "ask",
      knownIn,
      keyTypes,
      files,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

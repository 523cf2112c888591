// The test client's side of a bed: its SSH key, and the known_hosts and ssh_config that reach
// every host as root with host key checking on.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mustRun } from "./process.js";

export interface ClientFiles {
  keyPath: string;
  publicKey: string;
  knownHostsPath: string;
  configPath: string;
}

export async function createClientFiles(workDir: string): Promise<ClientFiles> {
  const dir = join(workDir, "client");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, "id_ed25519");
  await mustRun("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "berth-testbed-client", "-f", keyPath]);
  return {
    keyPath,
    publicKey: readFileSync(`${keyPath}.pub`, "utf8"),
    knownHostsPath: join(dir, "known_hosts"),
    configPath: join(dir, "ssh_config"),
  };
}

export function writeKnownHostsAndConfig(client: ClientFiles, hosts: readonly { ip: string; hostPublicKey: string }[]): void {
  writeFileSync(client.knownHostsPath, hosts.map((host) => `${host.ip} ${host.hostPublicKey}\n`).join(""));
  writeFileSync(
    client.configPath,
    [
      "Host 10.210.0.*",
      "  User root",
      `  IdentityFile ${client.keyPath}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${client.knownHostsPath}`,
      "  GlobalKnownHostsFile /dev/null",
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "",
    ].join("\n"),
  );
}

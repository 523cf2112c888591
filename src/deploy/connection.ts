// What the run's SSH transport is told of deploy.yml: the configuration's Ssh and Sshkit models read
// the sections (once); this hands over only what is set, so the user's own ssh config decides the
// rest before Kamal's defaults (src/transport/ssh-args.ts).
import type { Ssh, Sshkit } from "../config/index.js";
import type { SshSettings, SshkitSettings } from "../transport/index.js";

/** What deploy.yml sets of `ssh:` (read by the Ssh model), for the transport: unset stays unset. */
export function sshSettings(ssh: Ssh, readable?: (path: string) => boolean): SshSettings {
  const settings = sshLookupSettings(ssh, readable);
  const keyData = ssh.keyData();
  if (keyData !== undefined) settings.keyData = keyData;
  return settings;
}

/** The same without `key_data`: enough to look a host's key up, with no secrets read. */
export function sshLookupSettings(ssh: Ssh, readable?: (path: string) => boolean): SshSettings {
  const settings: SshSettings = {};
  if (ssh.configuredUser !== undefined) settings.user = ssh.configuredUser;
  if (ssh.configuredPort !== undefined) settings.port = ssh.configuredPort;
  if (ssh.proxy !== undefined) settings.proxy = ssh.proxy;
  if (ssh.proxyCommand !== undefined) settings.proxyCommand = ssh.proxyCommand;
  if (ssh.configuredLogLevel !== undefined) settings.logLevel = ssh.configuredLogLevel;
  if (ssh.keysOnly !== undefined) settings.keysOnly = ssh.keysOnly;
  if (ssh.keyFiles !== undefined) settings.keys = ssh.keyFiles;
  if (ssh.configFiles !== true) settings.config = ssh.configFilePaths(readable);
  if (ssh.forwardAgent !== undefined) settings.forwardAgent = ssh.forwardAgent;
  return settings;
}

/** `sshkit:` for the transport; an unset idle timeout stays unset (Berth's connections idle out sooner than Kamal's pool). */
export function sshkitSettings(sshkit: Sshkit): SshkitSettings {
  const settings: SshkitSettings = { maxConcurrentStarts: sshkit.maxConcurrentStarts, dnsRetries: sshkit.dnsRetries };
  if (sshkit.configuredPoolIdleTimeout !== undefined) settings.poolIdleTimeout = sshkit.configuredPoolIdleTimeout;
  return settings;
}

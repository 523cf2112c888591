// Turns ssh's own stderr (exit status 255) into an error that names the host, the reason and what
// to do. Returns undefined when nothing in it is ssh's: the remote command itself exited 255.
import { SshConnectionError, type SshFailureReason } from "./errors.js";

export interface FailureContext {
  /** The host as the user wrote it (deploy.yml). */
  host: string;
  hostname: string;
  port: number;
  user: string;
  connectTimeoutSeconds: number;
  /** Attempts made when name resolution kept failing. */
  attempts?: number;
}

const PATTERNS: ReadonlyArray<[SshFailureReason, RegExp]> = [
  ["host-key-changed", /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed/],
  ["host-key-unknown", /Host key verification failed|No \S+ host key is known for/],
  ["dns", /Could not resolve hostname|Name or service not known|Temporary failure in name resolution|nodename nor servname/],
  ["refused", /Connection refused/],
  ["timeout", /Connection timed out|Operation timed out|timed out during banner exchange/],
  ["unreachable", /No route to host|Network is unreachable|Host is unreachable/],
  ["auth", /Permission denied \(|Too many authentication failures|no matching host key type|Unable to negotiate/],
  [
    "connection-lost",
    /Connection closed by|Connection reset by|closed by remote host|kex_exchange_identification|client_loop: send disconnect|read from master failed|Control socket connect/,
  ],
];

export function classifySshFailure(stderr: string, context: FailureContext): SshConnectionError | undefined {
  const match = PATTERNS.find(([, pattern]) => pattern.test(stderr));
  if (!match) return undefined;
  const reason = match[0];
  const said = sshWords(stderr, match[1]);
  return new SshConnectionError(context.host, reason, explain(reason, context, stderr, said), said);
}

/** The line(s) ssh printed about the failure, without its warning banners. */
function sshWords(stderr: string, pattern: RegExp): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  const line = lines.find((candidate) => pattern.test(candidate)) ?? lines.at(-1) ?? "";
  return line.replace(/^@+\s*|\s*@+$/g, "");
}

function explain(reason: SshFailureReason, c: FailureContext, stderr: string, said: string): string {
  const where = `${c.user}@${c.hostname}:${c.port}`;
  switch (reason) {
    case "refused":
      return `Cannot connect to ${c.host} (${where}): connection refused. Is sshd running there, and is the SSH port right? (ssh: ${said})`;
    case "timeout":
      return `Cannot connect to ${c.host} (${where}): no answer within ${c.connectTimeoutSeconds} s. The host may be down or a firewall drops the port. (ssh: ${said})`;
    case "unreachable":
      return `Cannot connect to ${c.host} (${where}): the network has no route to it. (ssh: ${said})`;
    case "dns":
      return `Cannot connect to ${c.host}: the name ${c.hostname} does not resolve${c.attempts && c.attempts > 1 ? ` (tried ${c.attempts} times)` : ""}. (ssh: ${said})`;
    case "auth":
      return `Cannot log in to ${c.host} as ${c.user}: the server refused every key offered. Check ssh.user, ssh.keys and your SSH agent. (ssh: ${said})`;
    case "host-key-changed":
      return hostKeyChanged(c, stderr);
    case "host-key-unknown":
      return (
        `Cannot connect to ${c.host}: its host key is not in your known_hosts and your SSH config requires strict checking. ` +
        `Verify the key with the server's administrator, then add it (e.g. \`ssh-keyscan -H ${c.hostname} >> ~/.ssh/known_hosts\`). (ssh: ${said})`
      );
    case "connection-lost":
      return `The SSH connection to ${c.host} (${where}) was closed: ${said}`;
    default:
      return `SSH to ${c.host} (${where}) failed: ${said}`;
  }
}

function hostKeyChanged(c: FailureContext, stderr: string): string {
  const offending = /Offending \S+ key in (\S+):(\d+)/.exec(stderr);
  const fingerprint = /(SHA256:[A-Za-z0-9+/=]+)/.exec(stderr)?.[1];
  const file = offending ? `${offending[1]}:${offending[2]}` : "your known_hosts";
  const remove = offending ? `ssh-keygen -R ${c.hostname} -f ${offending[1]}` : `ssh-keygen -R ${c.hostname}`;
  return (
    `The SSH host key of ${c.host} has CHANGED since it was recorded in ${file}. Berth will not connect: ` +
    `the server may have been rebuilt, or someone may be intercepting the connection. ` +
    `Check the new key${fingerprint ? ` (${fingerprint})` : ""} with whoever runs the server; if it is right, ` +
    `remove the old entry with \`${remove}\` and run again.`
  );
}

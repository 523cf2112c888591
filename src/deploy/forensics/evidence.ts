// What was read about a container that never became healthy (see commands/forensics.ts), parsed.
// Pure.

export interface HealthLogEntry {
  readonly ExitCode?: number;
  readonly Output?: string;
}

export interface ContainerState {
  readonly Status?: string;
  readonly Running?: boolean;
  readonly Restarting?: boolean;
  readonly OOMKilled?: boolean;
  readonly ExitCode?: number;
  readonly Error?: string;
  readonly StartedAt?: string;
  readonly FinishedAt?: string;
  readonly Health?: { readonly Status?: string; readonly FailingStreak?: number; readonly Log?: readonly HealthLogEntry[] | null } | null;
}

export interface ContainerFacts {
  readonly state: ContainerState;
  readonly restartCount: number;
  /** The image's (or run's) HEALTHCHECK command, e.g. `["CMD-SHELL", "curl -f http://localhost/up"]`. */
  readonly healthcheck: readonly string[] | undefined;
  readonly id: string;
}

export interface Listener {
  readonly address: string;
  readonly port: number;
  /** 127.0.0.0/8 or ::1: reachable from inside the container only. */
  readonly loopback: boolean;
}

export type ProbeOutcome =
  | { readonly kind: "response"; readonly url: string; readonly status: number; readonly location: string | undefined; readonly body: string }
  | { readonly kind: "refused" | "timeout" | "failed"; readonly url: string; readonly message: string }
  | { readonly kind: "not probed"; readonly reason: string };

/** `containerFacts`' four lines; undefined when the container is gone. */
export function parseContainerFacts(text: string): ContainerFacts | undefined {
  const [state, restarts, healthcheck, id] = text.split("\n");
  const parsed = parseJson<ContainerState | null>(state ?? "");
  if (parsed === undefined || parsed === null || typeof parsed !== "object") return undefined;
  const test = parseJson<{ Test?: string[] } | null>(healthcheck ?? "")?.Test;
  return {
    state: parsed,
    restartCount: Number.parseInt(restarts ?? "0", 10) || 0,
    healthcheck: test === undefined || test.length === 0 || test[0] === "NONE" ? undefined : test,
    id: (id ?? "").trim(),
  };
}

/** Docker's embedded DNS server listens inside every container on a user-defined network. */
const DOCKER_DNS = "127.0.0.11";

/** `/proc/net/tcp[6]` local addresses (`0100007F:0050`) as addresses and ports (Docker's own DNS left out). */
export function parseListeners(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split("\n")) {
    const match = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(line.trim());
    if (match === null) continue;
    const address = match[1]!.length === 8 ? ipv4(match[1]!) : ipv6(match[1]!);
    const port = Number.parseInt(match[2]!, 16);
    if (address === DOCKER_DNS || listeners.some((known) => known.address === address && known.port === port)) continue;
    listeners.push({ address, port, loopback: address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.") });
  }
  return listeners;
}

/** The kernel prints an IPv4 address as one little-endian 32-bit word. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((offset) => Number.parseInt(hex.slice(offset, offset + 2), 16)).join(".");
}

/** An IPv6 address is four little-endian 32-bit words. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) for (const offset of [6, 4, 2, 0]) bytes.push(Number.parseInt(hex.slice(word * 8 + offset, word * 8 + offset + 2), 16));
  if (bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join(".")}`;
  const groups = Array.from({ length: 8 }, (_, index) => ((bytes[index * 2]! << 8) | bytes[index * 2 + 1]!).toString(16));
  return compress(groups);
}

function compress(groups: readonly string[]): string {
  let best = { start: -1, length: 0 };
  for (let start = 0; start < groups.length; ) {
    let end = start;
    while (end < groups.length && groups[end] === "0") end++;
    if (end - start > best.length) best = { start, length: end - start };
    start = end === start ? start + 1 : end;
  }
  if (best.length < 2) return groups.join(":");
  return `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
}

/** `probeHealth`'s output: the URL, the client's exit status, its output. */
export function parseProbe(text: string): ProbeOutcome {
  const trimmed = text.trim();
  if (trimmed === "no-client") return { kind: "not probed", reason: "the host has neither curl nor wget" };
  if (trimmed === "no-address") return { kind: "not probed", reason: "the container has no address on the kamal network (it isn't running)" };
  const [url = "", rc = "", ...rest] = text.split("\n");
  const output = rest.join("\n");
  const code = Number(rc);
  const status = /HTTP\/\d(?:\.\d)? (\d{3})/.exec(output)?.[1];
  if (status !== undefined) {
    const location = /^\s*Location:\s*(\S+)/im.exec(output)?.[1];
    const headerEnd = output.search(/\r?\n\r?\n/);
    const body = headerEnd === -1 ? "" : output.slice(headerEnd).trim();
    return { kind: "response", url, status: Number(status), location, body };
  }
  const message = output.trim().split("\n")[0]?.replace(/^(curl: \(\d+\)|wget:)\s*/, "") ?? "";
  if (code === 7 || /refused|couldn't connect|could not connect/i.test(output)) return { kind: "refused", url, message: "connection refused" };
  if (code === 28 || code === 124 || /timed out/i.test(output)) return { kind: "timeout", url, message: "no answer (timed out)" };
  if (code === 52 || /empty reply/i.test(output)) return { kind: "failed", url, message: "the connection closed without an answer" };
  return { kind: "failed", url, message: message || `exit status ${rc}` };
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

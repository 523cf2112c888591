// What the host probe (commands/doctor.ts hostProbe) and the Docker reads tell, parsed. Pure.
import type { BatchStepResult } from "../commands/batch.js";
import { HOST_PROBE_LABELS, type HostProbeLabel } from "../commands/doctor.js";
import { socketFromProbe } from "../commands/docker-api.js";

export interface DiskFree {
  readonly mountedOn: string;
  readonly availableBytes: number;
}

export interface HostFacts {
  /** The host's clock in ms since the epoch, when `date` printed it. */
  readonly clockMs: number | undefined;
  readonly user: string;
  readonly dockerCli: boolean;
  /** The daemon's version when the CLI reached it. */
  readonly dockerVersion: string | undefined;
  /** What the CLI said when it didn't reach the daemon. */
  readonly dockerError: string;
  /** The daemon's unix socket for the API, when the CLI uses one. */
  readonly dockerSocket: string | undefined;
  /** TCP ports something listens on. */
  readonly listeningPorts: ReadonlySet<number>;
  /** Free space under Docker's default data root (or `/`). */
  readonly disk: DiskFree | undefined;
  readonly addresses: readonly string[];
}

export function parseHostProbe(results: readonly BatchStepResult[]): HostFacts {
  const step = (label: HostProbeLabel): BatchStepResult | undefined => results[HOST_PROBE_LABELS.indexOf(label)];
  const succeeded = (label: HostProbeLabel): string | undefined => {
    const result = step(label);
    return result?.ran && result.code === 0 ? result.stdout.trim() : undefined;
  };
  const version = succeeded("docker server");
  const endpoint = succeeded("docker endpoint");
  return {
    clockMs: parseClock(succeeded("clock") ?? ""),
    user: succeeded("user") ?? "",
    dockerCli: succeeded("docker cli") !== undefined && succeeded("docker cli") !== "",
    dockerVersion: version === undefined || version === "" ? undefined : version,
    dockerError: (step("docker server")?.stderr ?? "").trim(),
    dockerSocket: endpoint === undefined ? undefined : socketFromProbe(`${endpoint}\n`),
    listeningPorts: parseListening(succeeded("listening") ?? ""),
    disk: parseDiskFree(succeeded("disk") ?? ""),
    addresses: (succeeded("addresses") ?? "").split(/\s+/).filter((address) => address !== ""),
  };
}

/** `date -u +%s.%N`; a `date` without %N prints the letter, leaving whole seconds. */
export function parseClock(text: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (match === null) return undefined;
  const fraction = match[2] === undefined ? 0 : Number(`0.${match[2]}`);
  return (Number(match[1]) + fraction) * 1000;
}

/** Ports from /proc/net/tcp local addresses (`0100007F:0050`, hex). */
export function parseListening(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split("\n")) {
    const port = /:([0-9A-Fa-f]{4})$/.exec(line.trim())?.[1];
    if (port !== undefined) ports.add(Number.parseInt(port, 16));
  }
  return ports;
}

/** `df -Pk`'s data line: filesystem, 1024-blocks, used, available, capacity, mounted on. */
export function parseDiskFree(text: string): DiskFree | undefined {
  const line = text.trim().split("\n").at(-1) ?? "";
  const fields = line.trim().split(/\s+/);
  if (fields.length < 6 || !/^\d+$/.test(fields[3] ?? "")) return undefined;
  return { availableBytes: Number(fields[3]) * 1024, mountedOn: fields.slice(5).join(" ") };
}

/** The docker CLI's error, in one line without its "Error response from daemon:" style noise. */
export function dockerProblem(error: string): "not running" | "permission" | "other" {
  if (/permission denied/i.test(error)) return "permission";
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|connect: no such file|connection refused/i.test(error)) return "not running";
  return "other";
}

// Docker documents ----------------------------------------------------------------------------

export interface DockerInfo {
  readonly ServerVersion?: string;
  readonly DockerRootDir?: string;
}

export interface ContainerDocument {
  readonly Config?: { readonly Image?: string } | null;
  readonly State?: { readonly Status?: string; readonly Running?: boolean; readonly ExitCode?: number } | null;
  readonly HostConfig?: { readonly PortBindings?: Readonly<Record<string, readonly { HostIp?: string; HostPort?: string }[] | null>> | null } | null;
}

/** Host ports a container publishes (`80/tcp` bound to `0.0.0.0:80` gives 80). */
export function publishedPorts(container: ContainerDocument): Set<number> {
  const ports = new Set<number>();
  for (const bindings of Object.values(container.HostConfig?.PortBindings ?? {})) {
    for (const binding of bindings ?? []) {
      const port = Number(binding.HostPort);
      if (Number.isInteger(port) && port > 0) ports.add(port);
    }
  }
  return ports;
}

/** `repo[:tag]` split at the tag's colon (a registry's port is not a tag). */
export function splitImage(image: string): { repository: string; tag: string | undefined } {
  const colon = image.lastIndexOf(":");
  if (colon <= image.lastIndexOf("/")) return { repository: image, tag: undefined };
  return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
}

/** "Berth's proxy 0.1.1 (kamal-proxy v0.9.2 commands)" or "kamal-proxy v0.9.2", from the image name. */
export function describeProxyImage(image: string): string {
  const { repository, tag } = splitImage(image);
  const name = repository.split("/").at(-1) ?? repository;
  const berth = name === "berth-proxy" ? /^(v\d+\.\d+\.\d+)\.(\d+\.\d+\.\d+.*)$/.exec(tag ?? "") : null;
  if (berth !== null) return `Berth's proxy ${berth[2]} (kamal-proxy ${berth[1]} commands)`;
  if (name === "berth-proxy") return `Berth's proxy ${tag ?? "latest"}`;
  return `${name} ${tag ?? "latest"}`;
}

/** Bytes as `12.3 GB` (decimal units, as df -H and disk vendors print them). */
export function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

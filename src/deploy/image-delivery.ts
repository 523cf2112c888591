// Deploys without a registry. With `registry.server: localhost:PORT` (Kamal's local registry, what
// `kamal init` writes), Kamal runs a `registry:3` container here, pushes to it and forwards its
// port to each host over SSH. Berth runs no registry: it serves the images from this machine's
// Docker itself (src/delivery), one read-only registry per host on a unix socket in a private
// directory, and forwards the host's 127.0.0.1:PORT to that socket over the host's SSH
// connection. The host's Docker pulls `localhost:PORT/<image>:<version>` as it would from
// Kamal's registry (same names, same tags), and fetches only the layers it lacks.
// Only the images this configuration names under `localhost:PORT/` are served.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cmd } from "../core/cmd.js";
import { berthProxyRepository, type Configuration } from "../config/index.js";
import { ExportCache, imageCacheDir } from "../delivery/export-cache.js";
import { ImageStore } from "../delivery/image-store.js";
import { dockerCli } from "../delivery/local-docker.js";
import { isDigest } from "../delivery/oci.js";
import { RegistryServer, type DeliveryCounts, type RegistryCatalog } from "../delivery/registry-server.js";
import { registry as registryCommands } from "../commands/index.js";
import { RemoteForwardRefused } from "../transport/index.js";
import { BerthError } from "../util/errors.js";
import type { Level, Output, SayColor } from "../output/index.js";
import type { RunResult } from "../transport/index.js";
import { processEnvironment } from "./run-support.js";

/** The run as the delivery sees it (an interface: the run's services don't import the run). */
export interface DeliveryAccess {
  readonly config: Configuration;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly output: Output;
  say(message: string, color?: SayColor): void;
  exec(host: string, command: Cmd, options: { level?: Level; allowFailure?: boolean }): Promise<RunResult>;
  on<T>(hosts: readonly string[], work: (host: string) => Promise<T>): Promise<T[]>;
  /** Whether the transport can forward a port on the hosts to this machine (SSH can; --plan's can't). */
  forwardsPorts(): Promise<boolean>;
  forwardPortHere(host: string, remotePort: number, localSocket: string): Promise<void>;
}

/** `localhost:PORT/repository[:tag]` → its port and repository; undefined for any other image. */
export function localRegistryImage(image: string): { port: number; repository: string } | undefined {
  const match = /^localhost:(\d+)\/([^:@]+)/.exec(image);
  return match === null ? undefined : { port: Number(match[1]), repository: match[2]! };
}

/** The repositories each local registry port serves: the app's image and Berth's proxy image, and accessory and proxy images named under `localhost:PORT/`. */
export function localRegistries(config: Configuration): Map<number, Set<string>> {
  const images: string[] = [];
  if (config.registry.local) images.push(config.repository, `${config.registry.server}/${berthProxyRepository(config.image)}`);
  for (const accessory of config.accessories) images.push(accessory.image);
  for (const host of config.proxyHosts) for (const run of config.proxyRuns(host)) images.push(run.image);
  const registries = new Map<number, Set<string>>();
  for (const image of images) {
    const local = localRegistryImage(image);
    if (local === undefined) continue;
    if (!registries.has(local.port)) registries.set(local.port, new Set());
    registries.get(local.port)!.add(local.repository);
  }
  return registries;
}

export class ImageDelivery {
  private readonly store: ImageStore;
  private readonly registries: Map<number, Set<string>>;
  /** `host port` → that host's registry, listening and forwarded. */
  private readonly servers = new Map<string, { host: string; server: Promise<RegistryServer>; open?: RegistryServer }>();
  private socketDir: string | undefined;
  private sockets = 0;

  constructor(private readonly run: DeliveryAccess) {
    this.registries = localRegistries(run.config);
    const cacheDir = imageCacheDir(run.env);
    this.store = new ImageStore(dockerCli(processEnvironment(run.env)), {
      // No cache (no home, or one open to others): exports go to a spool removed at the end, as before.
      cache: cacheDir === undefined ? undefined : new ExportCache(cacheDir),
      onExported: ({ image, seconds, cached }) => {
        const what = `${image.layers.length} layers, ${megabytes(image.layers.reduce((sum, layer) => sum + layer.descriptor.size, 0))}`;
        if (cached) run.output.info(`Image ${image.id.slice(7, 19)} read from Berth's image cache, exported by an earlier run (${what}): no docker save`);
        else run.output.info(`Exported image ${image.id.slice(7, 19)} from this machine's Docker (${what}) in ${seconds.toFixed(1)} s`);
      },
    });
  }

  /** Whether the configuration names any image under a `localhost:PORT/` registry. */
  get active(): boolean {
    return this.registries.size > 0;
  }

  /** Every host's registry listening and its port forwarded (in parallel): then the hosts can pull. */
  async openTo(hosts: readonly string[]): Promise<void> {
    const fresh = hosts.filter((host) => ![...this.registries.keys()].every((port) => this.servers.has(`${host} ${port}`)));
    if (fresh.length > 0) {
      const ports = [...this.registries.keys()].map((port) => `localhost:${port}`).join(", ");
      this.run.output.info(`Serving ${ports} to ${fresh.join(", ")} from this machine's Docker, over their SSH connections (no registry)`);
    }
    await this.run.on(hosts, (host) => Promise.all([...this.registries.keys()].map((port) => this.openOn(host, port))));
  }

  /**
   * Exports `reference` from this machine's Docker ahead of the hosts' pulls; a clear error when
   * it isn't there. Images not under a local registry are not this delivery's.
   */
  async prepare(reference: string): Promise<void> {
    if (localRegistryImage(reference) === undefined) return;
    let image;
    try {
      image = await this.store.image(reference);
    } catch (error) {
      throw new BerthError(`Can't read ${reference} from this machine's Docker to serve it to the hosts: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (image === undefined) {
      throw new BerthError(
        `Image ${reference} is not in this machine's Docker, where the hosts pull it from (registry/server ${reference.split("/")[0]} is served by Berth from here). ` +
          "Build it first (berth build push, or a deploy without -P).",
      );
    }
  }

  /** What was sent to each host so far. */
  sent(): Map<string, DeliveryCounts> {
    const totals = new Map<string, DeliveryCounts>();
    for (const { host, open } of this.servers.values()) if (open !== undefined) totals.set(host, add(totals.get(host), open.counts()));
    return totals;
  }

  /** Says what each host was sent (at the end of the run), then stops serving and removes the spool. */
  async close(): Promise<void> {
    this.report();
    const servers = [...this.servers.values()].map(({ server }) => server.then((open) => open.close()).catch(() => undefined));
    this.servers.clear();
    await Promise.all(servers);
    this.store.close();
    if (this.socketDir !== undefined) rmSync(this.socketDir, { recursive: true, force: true });
    this.socketDir = undefined;
  }

  private report(): void {
    const compressions = this.store.gzip.compressions;
    if (compressions > 0) this.run.output.info(`Compressed ${compressions} layers once each for all the hosts (gzip)`);
    for (const [host, counts] of this.sent()) {
      const text =
        `Images sent to ${host} from this machine's Docker: ${counts.layers} layers, ${counts.layerBytes} bytes (${counts.layerContentBytes} uncompressed); ` +
        `${counts.manifests} manifests and ${counts.configs} configs, ${counts.manifestBytes + counts.configBytes} bytes; ` +
        `${counts.bytesWritten} bytes in all with HTTP headers (${megabytes(counts.bytesWritten)})`;
      if (this.run.output.format === "json") this.run.output.data(text, { ts: new Date().toISOString(), event: "images-sent", host, ...counts });
      else this.run.output.info(text);
    }
  }

  private openOn(host: string, port: number): Promise<RegistryServer> {
    const key = `${host} ${port}`;
    let entry = this.servers.get(key);
    if (entry === undefined) {
      const server = this.listenAndForward(host, port, this.sockets++);
      const made: { host: string; server: Promise<RegistryServer>; open?: RegistryServer } = { host, server };
      this.servers.set(key, made);
      server.then((open) => (made.open = open)).catch(() => this.servers.delete(key));
      entry = made;
    }
    return entry.server;
  }

  private async listenAndForward(host: string, port: number, index: number): Promise<RegistryServer> {
    const server = new RegistryServer(this.catalog(port), {
      gzip: this.store.gzip,
      onError: (error, request) => this.run.output.warn(`Serving ${request} to ${host} failed: ${error instanceof Error ? error.message : String(error)}`),
    });
    // Short path: a unix socket's address must fit 108 bytes.
    this.socketDir ??= mkdtempSync(join(tmpdir().length <= 40 ? tmpdir() : "/tmp", "berth-registry-"));
    const socket = join(this.socketDir, `${index}.sock`);
    await server.listen(socket);
    try {
      await this.run.forwardPortHere(host, port, socket);
    } catch (error) {
      await server.close();
      throw error instanceof RemoteForwardRefused ? await this.refusal(error) : error;
    }
    this.run.output.debug(`Serving localhost:${port} on ${host} from this machine's Docker (through the SSH connection)`);
    return server;
  }

  private catalog(port: number): RegistryCatalog {
    const served = this.registries.get(port) ?? new Set<string>();
    return {
      manifest: async (repository, reference) => {
        if (!served.has(repository)) return undefined;
        if (isDigest(reference)) return this.store.manifest(reference);
        return (await this.store.image(`localhost:${port}/${repository}:${reference}`))?.manifest;
      },
      blob: (repository, digest) => (served.has(repository) ? this.store.blob(digest) : undefined),
    };
  }

  /** Why the host refused the forward: its port in use (seen in /proc/net/tcp*), or sshd forbidding forwards. */
  private async refusal(error: RemoteForwardRefused): Promise<BerthError> {
    const { host, remotePort: port } = error;
    const server = `registry/server localhost:${port}`;
    const tables = await this.run.exec(host, registryCommands.tcpSockets(), { level: "debug", allowFailure: true }).catch(() => undefined);
    if (tables !== undefined && listensOn(tables.stdout, port)) {
      return new BerthError(
        `Port ${port} on ${host} is in use already, so the host can't pull from Berth there (${server}): ` +
          "another deploy's forward, or a registry listening on it. Free the port on the host, or use another port in registry/server.",
        "Berth::RemoteForwardRefused",
      );
    }
    return new BerthError(
      `${host} refused to forward its port ${port} to this machine (ssh: ${error.sshMessage}). With ${server}, hosts pull images ` +
        "from Berth through their SSH connection: allow TCP forwarding for the SSH user in the host's sshd_config (AllowTcpForwarding yes, or remote), " +
        "or use a registry the hosts can reach.",
      "Berth::RemoteForwardRefused",
    );
  }
}

/** Whether /proc/net/tcp or tcp6 lists a socket listening (state 0A) on the port. */
export function listensOn(tables: string, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return tables.split("\n").some((line) => {
    const [, local = "", , state = ""] = line.trim().split(/\s+/);
    return state === "0A" && local.toUpperCase().endsWith(`:${hex}`);
  });
}

function add(total: DeliveryCounts | undefined, counts: DeliveryCounts): DeliveryCounts {
  if (total === undefined) return counts;
  return Object.fromEntries(Object.entries(total).map(([key, value]) => [key, value + counts[key as keyof DeliveryCounts]])) as unknown as DeliveryCounts;
}

export function megabytes(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${(bytes / 1000).toFixed(1)} kB`;
}

// The flows' entry points ----------------------------------------------------------------

/** What the entry points need of a run (not the run itself: the run's services import this module). */
export interface DeliveringRun {
  readonly services: { readonly imageDelivery: ImageDelivery };
  forwardsPorts(): Promise<boolean>;
  say(message: string, color?: SayColor): void;
}

/**
 * With images under a `localhost:PORT/` registry: the hosts' registries listening and forwarded,
 * so the commands that follow can pull. Nothing otherwise; a note in a plan.
 */
export async function serveImagesTo(run: DeliveringRun, hosts: readonly string[]): Promise<void> {
  const delivery = run.services.imageDelivery;
  if (!delivery.active || hosts.length === 0) return;
  if (!(await run.forwardsPorts())) {
    run.say(`The hosts pull localhost:PORT images from this machine's Docker, through a port forwarded over their SSH connection`, "yellow");
    return;
  }
  await delivery.openTo(hosts);
}

/** Exports an image under a `localhost:PORT/` registry ahead of the pulls (a clear error when this machine lacks it). */
export async function prepareImage(run: DeliveringRun, reference: string): Promise<void> {
  const delivery = run.services.imageDelivery;
  if (!delivery.active || !(await run.forwardsPorts())) return;
  await delivery.prepare(reference);
}

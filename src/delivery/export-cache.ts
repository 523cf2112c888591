// Exported images kept across runs, by image ID, so a deploy of an image this machine exported
// before (a redeploy, another destination, a rollback) serves it without another `docker save`,
// and with the gzip files of its layers (layer-gzip.ts) without compressing again.
// Per user, under $XDG_CACHE_HOME/berth/images (or ~/.cache/berth/images, 0700):
// `<image id hex>/` holds `index.json` (the layers' files), `manifest`, `config`, the layers and
// their `.gz`. An export is written to a staging directory and renamed into place when complete,
// so a concurrent run finds a whole entry or none. Entries in use by a live run carry an
// `in-use.<pid>` file and are never evicted; the others beyond the newest few or past the size cap
// are, oldest first. What a host pulls is checked there against its digest, so a damaged entry
// fails a pull rather than deploying other bytes; entries are checked for size when read.
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { Blob, ExportedImage } from "./image-archive.js";
import { sha256Digest, type Descriptor } from "./oci.js";
import { processAlive } from "../util/process-alive.js";

export interface CacheLimits {
  /** Images kept, the newest (those in use count, and are kept past the limits). */
  readonly images: number;
  /** Bytes kept (layers and their gzip files), the newest images' first. */
  readonly bytes: number;
}

/** A deploy's image, the previous ones for a rollback, and room for another app's: bounded at 4 GB. */
export const DEFAULT_LIMITS: CacheLimits = { images: 4, bytes: 4_000_000_000 };
const INDEX = "index.json";
const ENTRY = /^[a-f0-9]{64}$/;
/** Staging directories of runs that died are removed after this long. */
const STALE_MS = 24 * 60 * 60 * 1000;

interface Index {
  readonly format: 1;
  readonly id: string;
  readonly manifestMediaType: string;
  readonly layerFiles: readonly string[];
}

/** `<cache>/berth/images` for this environment, or undefined when there is no home to keep it in. */
export function imageCacheDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  const home = env.HOME ?? homedir();
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : home !== "" && isAbsolute(home) ? join(home, ".cache") : undefined;
  return base === undefined ? undefined : join(base, "berth", "images");
}

export class ExportCache {
  private readonly marked = new Set<string>();
  private checked: boolean | undefined;

  /** The cache at `root`: nothing is made there until an image is exported. */
  constructor(
    readonly root: string,
    private readonly limits: CacheLimits = DEFAULT_LIMITS,
  ) {}

  /** Whether the cache can be used: its directory made if need be, ours and closed to others. */
  usable(): boolean {
    if (this.checked === undefined) {
      try {
        mkdirSync(this.root, { recursive: true, mode: 0o700 });
        const stat = statSync(this.root);
        const ours = process.getuid === undefined || stat.uid === process.getuid();
        this.checked = stat.isDirectory() && ours && (stat.mode & 0o022) === 0;
      } catch {
        this.checked = false;
      }
    }
    return this.checked;
  }

  /** The cached export of an image ID, marked in use by this run; undefined when there is none (or it is damaged). */
  load(id: string): ExportedImage | undefined {
    const dir = this.entryDir(id);
    try {
      // Marked before it is read: an eviction that comes after sees the mark.
      this.mark(dir);
      const index = JSON.parse(readFileSync(join(dir, INDEX), "utf8")) as Index;
      const manifestBytes = readFileSync(join(dir, "manifest"));
      const configBytes = readFileSync(join(dir, "config"));
      const described = JSON.parse(manifestBytes.toString("utf8")) as { config: Descriptor; layers: Descriptor[] };
      if (index.format !== 1 || index.id !== id || sha256Digest(configBytes) !== id || described.layers.length !== index.layerFiles.length) throw new Error("damaged");
      const layers = described.layers.map((descriptor, i): Blob => {
        const file = join(dir, index.layerFiles[i]!);
        if (statSync(file).size !== descriptor.size) throw new Error("damaged");
        return { descriptor, file };
      });
      // A run that died while compressing a layer left its half-written file.
      for (const name of readdirSync(dir)) {
        const writer = /\.gz\.(\d+)\.[a-z0-9]+\.tmp$/.exec(name);
        if (writer !== null && !processAlive(Number(writer[1]))) rmSync(join(dir, name), { force: true });
      }
      const now = new Date();
      utimesSync(dir, now, now);
      return {
        id,
        config: { descriptor: described.config, bytes: configBytes },
        layers,
        manifest: { mediaType: index.manifestMediaType, digest: sha256Digest(manifestBytes), bytes: manifestBytes },
      };
    } catch {
      this.unmark(dir);
      return undefined;
    }
  }

  /** A new directory to export an image into, then `commit` it (or remove it). */
  staging(id: string): string {
    const dir = join(this.root, `.staging-${hex(id).slice(0, 12)}-${process.pid}-${randomBytes(4).toString("hex")}`);
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  /**
   * Puts a finished export (read into `staging`) in place, marked in use, and evicts what is
   * beyond the limits. Its blobs kept in memory are written beside the spooled ones. Another
   * run's entry of the same image, there first, wins.
   */
  commit(staging: string, image: ExportedImage): ExportedImage {
    const layerFiles = image.layers.map((layer, i) => {
      if (layer.file !== undefined) return layer.file.slice(staging.length + 1);
      writeFileSync(join(staging, `layer-${i}`), layer.bytes!, { mode: 0o600 });
      return `layer-${i}`;
    });
    writeFileSync(join(staging, "manifest"), image.manifest.bytes, { mode: 0o600 });
    writeFileSync(join(staging, "config"), image.config.bytes, { mode: 0o600 });
    const index: Index = { format: 1, id: image.id, manifestMediaType: image.manifest.mediaType, layerFiles };
    writeFileSync(join(staging, INDEX), JSON.stringify(index), { mode: 0o600 });
    const dir = this.entryDir(image.id);
    try {
      renameSync(staging, dir);
    } catch {
      // There already (another run's, or a damaged one load refused): a whole entry is used, a damaged one replaced.
      const theirs = this.load(image.id);
      if (theirs !== undefined) {
        rmSync(staging, { recursive: true, force: true });
        this.evict();
        return theirs;
      }
      this.remove(dir);
      renameSync(staging, dir);
    }
    const ours = this.load(image.id);
    if (ours === undefined) throw new Error(`the image cache entry ${dir} can't be read back`);
    this.evict();
    return ours;
  }

  /** This run uses its entries no more (they may be evicted by the next run). */
  release(): void {
    for (const dir of this.marked) rmSync(join(dir, `in-use.${process.pid}`), { force: true });
    this.marked.clear();
  }

  /** Removes entries beyond the limits, oldest first, but none in use; and what dead runs left. */
  evict(): void {
    const entries: Array<{ dir: string; mtime: number; bytes: number; used: boolean }> = [];
    for (const name of readdirSync(this.root)) {
      const dir = join(this.root, name);
      try {
        const stat = statSync(dir);
        if (!ENTRY.test(name)) {
          if ((name.startsWith(".staging-") || name.startsWith(".trash-")) && Date.now() - stat.mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true });
          continue;
        }
        const files = readdirSync(dir);
        const used = files.some((file) => /^in-use\.\d+$/.test(file) && processAlive(Number(file.slice(7))));
        const bytes = files.reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
        entries.push({ dir, mtime: stat.mtimeMs, bytes, used });
      } catch {
        // Removed by another run meanwhile.
      }
    }
    entries.sort((a, b) => b.mtime - a.mtime);
    let images = 0;
    let bytes = 0;
    for (const entry of entries) {
      images++;
      bytes += entry.bytes;
      if (!entry.used && (images > this.limits.images || bytes > this.limits.bytes)) this.remove(entry.dir);
    }
  }

  private entryDir(id: string): string {
    return join(this.root, hex(id));
  }

  private mark(dir: string): void {
    writeFileSync(join(dir, `in-use.${process.pid}`), "", { mode: 0o600 });
    this.marked.add(dir);
  }

  private unmark(dir: string): void {
    rmSync(join(dir, `in-use.${process.pid}`), { force: true });
    this.marked.delete(dir);
  }

  /** Renamed aside first, so no run finds it half removed. */
  private remove(dir: string): void {
    const trash = join(this.root, `.trash-${randomBytes(6).toString("hex")}`);
    try {
      renameSync(dir, trash);
    } catch {
      return;
    }
    rmSync(trash, { recursive: true, force: true });
  }
}

function hex(id: string): string {
  const digest = id.replace(/^sha256:/, "");
  if (!ENTRY.test(digest)) throw new Error(`not an image ID: ${id}`);
  return digest;
}

// The images a run serves, exported from this machine's Docker once per image ID and kept for
// every host that asks: manifests and blobs by digest. With a cache (export-cache.ts), an image
// exported by an earlier run is read from it without `docker save`, and a new export is kept
// there for the next; without one, exports go to a spool directory that close removes.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExportCache } from "./export-cache.js";
import { readImageArchive, type Blob, type ExportedImage } from "./image-archive.js";
import { LayerGzip } from "./layer-gzip.js";
import type { ImageSave, LocalDocker } from "./local-docker.js";
import type { ImageManifest } from "./oci.js";

export interface StoredBlob {
  readonly blob: Blob;
  readonly kind: "config" | "layer";
}

export interface ExportFinished {
  readonly image: ExportedImage;
  readonly seconds: number;
  /** Read from the cache of an earlier run's export: no `docker save`. */
  readonly cached: boolean;
}

export class ImageStore {
  /** The run's gzip-compressed plain layers, for every host's registry: one compression per layer. */
  readonly gzip = new LayerGzip();
  private readonly exports = new Map<string, Promise<ExportedImage>>();
  private readonly manifests = new Map<string, ImageManifest>();
  private readonly blobs = new Map<string, StoredBlob>();
  private spoolDir: string | undefined;
  private readonly saving = new Set<ImageSave>();
  private closed = false;

  constructor(
    private readonly docker: LocalDocker,
    private readonly options: { spoolParent?: string; cache?: ExportCache; onExported?: (finished: ExportFinished) => void } = {},
  ) {}

  /** The image this machine's Docker holds under `reference`, exported; undefined when it holds none. */
  async image(reference: string): Promise<ExportedImage | undefined> {
    const id = await this.docker.imageId(reference);
    return id === undefined ? undefined : this.exportOf(id);
  }

  /** The export of an image ID, made once (callers at the same time share it; a failed one is tried again next time). */
  exportOf(id: string): Promise<ExportedImage> {
    let exported = this.exports.get(id);
    if (exported === undefined) {
      exported = this.export(id);
      this.exports.set(id, exported);
      exported.catch(() => this.exports.delete(id));
    }
    return exported;
  }

  manifest(digest: string): ImageManifest | undefined {
    return this.manifests.get(digest);
  }

  blob(digest: string): StoredBlob | undefined {
    return this.blobs.get(digest);
  }

  /** Ends the exports under way (they fail) and removes the spool directory. */
  close(): void {
    this.closed = true;
    for (const save of this.saving) save.cancel();
    this.options.cache?.release();
    if (this.spoolDir !== undefined) rmSync(this.spoolDir, { recursive: true, force: true });
    this.spoolDir = undefined;
  }

  private async export(id: string): Promise<ExportedImage> {
    if (this.closed) throw new Error("the image store is closed");
    const started = performance.now();
    const cache = this.options.cache?.usable() ? this.options.cache : undefined;
    const cached = cache?.load(id);
    if (cached !== undefined) return this.add(cached, started, true);
    const dir = cache !== undefined ? cache.staging(id) : this.spool(id);
    const save = this.docker.save(id);
    this.saving.add(save);
    let image: ExportedImage;
    try {
      [image] = await Promise.all([readImageArchive(save.stream, dir, { imageId: id }), save.done]);
    } catch (error) {
      save.cancel();
      save.stream.destroy();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    } finally {
      this.saving.delete(save);
    }
    if (cache !== undefined) {
      try {
        image = cache.commit(dir, image);
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
    return this.add(image, started, false);
  }

  private spool(id: string): string {
    this.spoolDir ??= mkdtempSync(join(this.options.spoolParent ?? tmpdir(), "berth-images-"));
    const dir = join(this.spoolDir, id.replace(/^sha256:/, "").slice(0, 24));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  private add(image: ExportedImage, started: number, cached: boolean): ExportedImage {
    this.manifests.set(image.manifest.digest, image.manifest);
    this.blobs.set(image.config.descriptor.digest, { blob: image.config, kind: "config" });
    for (const layer of image.layers) if (!this.blobs.has(layer.descriptor.digest)) this.blobs.set(layer.descriptor.digest, { blob: layer, kind: "layer" });
    this.options.onExported?.({ image, seconds: (performance.now() - started) / 1000, cached });
    return image;
  }
}

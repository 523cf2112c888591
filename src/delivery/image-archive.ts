// Reads the tar stream of `docker save <image id>` (Docker's legacy layout or the OCI layout of
// Docker 25+) into what a registry serves: the image's config (its digest is the image ID), its
// layers and a manifest. Nothing is held whole in memory: large entries are written to files in a
// spool directory as they stream by, hashed on the way, and small ones (configs, manifests, tiny
// layers) kept as they are. `docker save` writes layers as plain tars, whose digests are the
// image's diff IDs: stable from run to run, so a host that pulled them once doesn't fetch them again.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Readable } from "node:stream";
import { extract as tarExtract } from "tar-stream";
import { compressionOf, imageManifest, sha256Digest, type Compression, type Descriptor, type ImageManifest } from "./oci.js";

/** Entries up to this size stay in memory; larger ones go to a spool file. */
const SMALL_ENTRY_BYTES = 256 * 1024;
/** Bytes kept of each entry's start: enough to tell its compression. */
const HEAD_BYTES = 8;

/** Bytes a registry can serve: in memory, or a spool file. */
export interface Blob {
  readonly descriptor: Descriptor;
  readonly bytes?: Buffer;
  readonly file?: string;
}

export interface ExportedImage {
  /** `sha256:…`: the image ID, the config's digest. */
  readonly id: string;
  readonly config: Blob & { readonly bytes: Buffer };
  readonly layers: readonly Blob[];
  readonly manifest: ImageManifest;
}

export class ImageArchiveError extends Error {}

interface Entry {
  readonly digest: string;
  readonly size: number;
  readonly head: Buffer;
  readonly bytes?: Buffer;
  readonly file?: string;
}

/**
 * Reads a `docker save` archive of one image. `imageId`, when given, must be the config's digest.
 * Spool files are named `<spoolDir>/<n>`; the caller owns the directory.
 */
export async function readImageArchive(archive: Readable, spoolDir: string, expected: { imageId?: string } = {}): Promise<ExportedImage> {
  const entries = new Map<string, Entry>();
  const links = new Map<string, string>();
  const extract = tarExtract();
  archive.on("error", (error) => extract.destroy(error));
  archive.pipe(extract);
  let spooled = 0;
  for await (const entry of extract) {
    const name = posix.normalize(entry.header.name);
    const type = entry.header.type;
    if ((type === "symlink" || type === "link") && entry.header.linkname) {
      // Docker 25+ links `<id>/layer.tar` to `blobs/sha256/<digest>`: symlinks relative, hard links from the root.
      links.set(name, posix.normalize(type === "symlink" ? posix.join(posix.dirname(name), entry.header.linkname) : entry.header.linkname));
    }
    if (type !== "file" && type !== "contiguous-file") {
      entry.resume();
      continue;
    }
    const size = entry.header.size ?? 0;
    entries.set(name, size <= SMALL_ENTRY_BYTES ? await readSmall(entry) : await spool(entry, join(spoolDir, String(spooled++))));
  }
  return assemble(entries, links, expected.imageId);
}

async function readSmall(entry: AsyncIterable<Buffer>): Promise<Entry> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  return { digest: sha256Digest(bytes), size: bytes.length, head: bytes.subarray(0, HEAD_BYTES), bytes };
}

async function spool(entry: AsyncIterable<Buffer>, file: string): Promise<Entry> {
  const hash = createHash("sha256");
  const out = createWriteStream(file, { mode: 0o600 });
  const failed = once(out, "error").then(([error]) => Promise.reject(error as Error));
  failed.catch(() => undefined);
  let size = 0;
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of entry) {
      hash.update(chunk);
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
      size += chunk.length;
      if (!out.write(chunk)) await Promise.race([once(out, "drain"), failed]);
    }
    out.end();
    await Promise.race([once(out, "finish"), failed]);
  } catch (error) {
    out.destroy();
    throw error;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size, head, file };
}

interface SavedManifest {
  Config?: unknown;
  Layers?: unknown;
}

async function assemble(entries: Map<string, Entry>, links: Map<string, string>, imageId: string | undefined): Promise<ExportedImage> {
  const find = (name: string): Entry | undefined => {
    let path = posix.normalize(name);
    for (let hops = 0; hops < 8 && !entries.has(path) && links.has(path); hops++) path = links.get(path)!;
    return entries.get(path);
  };
  const saved = find("manifest.json");
  if (saved === undefined) throw new ImageArchiveError("the archive has no manifest.json (is it the output of docker save?)");
  const [first] = JSON.parse((await contents(saved)).toString("utf8")) as SavedManifest[];
  if (first === undefined || typeof first.Config !== "string" || !Array.isArray(first.Layers)) {
    throw new ImageArchiveError("the archive's manifest.json names no image");
  }
  const configEntry = find(first.Config);
  if (configEntry === undefined) throw new ImageArchiveError(`the archive lacks the image's config ${first.Config}`);
  if (imageId !== undefined && configEntry.digest !== imageId) {
    throw new ImageArchiveError(`the archive holds image ${configEntry.digest}, not ${imageId}`);
  }
  const configBytes = await contents(configEntry);
  const diffIds = (JSON.parse(configBytes.toString("utf8")) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
  const layerPaths = first.Layers as unknown[];
  if (!Array.isArray(diffIds) || diffIds.length !== layerPaths.length) {
    throw new ImageArchiveError(`the image's config lists ${Array.isArray(diffIds) ? diffIds.length : "no"} layers, its archive ${layerPaths.length}`);
  }
  const layers = layerPaths.map((path, index): Blob & { compression: Compression } => {
    const entry = typeof path === "string" ? find(path) : undefined;
    if (entry === undefined) throw new ImageArchiveError(`the archive lacks layer ${String(path)}`);
    const compression = compressionOf(entry.head);
    // A plain layer's digest is its diff ID; a compressed one (a containerd image store) can't be checked without unpacking it.
    if (compression === "none" && entry.digest !== diffIds[index]) {
      throw new ImageArchiveError(`layer ${index + 1} of the archive has digest ${entry.digest}, but the image's config says ${String(diffIds[index])}`);
    }
    return { descriptor: { mediaType: "", digest: entry.digest, size: entry.size }, compression, ...source(entry) };
  });
  const manifest = imageManifest(
    { digest: configEntry.digest, size: configEntry.size },
    layers.map((layer) => ({ digest: layer.descriptor.digest, size: layer.descriptor.size, compression: layer.compression })),
  );
  const described = JSON.parse(manifest.bytes.toString("utf8")) as { config: Descriptor; layers: Descriptor[] };
  return {
    id: configEntry.digest,
    config: { descriptor: described.config, bytes: configBytes },
    layers: layers.map((layer, index) => ({ ...source(layer), descriptor: described.layers[index]! })),
    manifest,
  };
}

function source(entry: { bytes?: Buffer; file?: string }): { bytes?: Buffer; file?: string } {
  return entry.bytes !== undefined ? { bytes: entry.bytes } : { file: entry.file! };
}

function contents(entry: Entry): Promise<Buffer> {
  return entry.bytes !== undefined ? Promise.resolve(entry.bytes) : readFile(entry.file!);
}

// `docker save` archives made in memory for the delivery's unit tests.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pack as tarPack } from "tar-stream";

export const hex = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

export interface Entry {
  name: string;
  body?: Buffer;
  symlink?: string;
}

export function archive(entries: readonly Entry[]): Readable {
  const pack = tarPack();
  for (const entry of entries) {
    if (entry.symlink !== undefined) pack.entry({ name: entry.name, type: "symlink", linkname: entry.symlink });
    else pack.entry({ name: entry.name, size: entry.body!.length }, entry.body!);
  }
  pack.finalize();
  return Readable.from(pack);
}

export function imageOf(layers: readonly Buffer[], diffIds = layers.map((layer) => `sha256:${hex(layer)}`)): { config: Buffer; id: string } {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: { service: "app" } }, rootfs: { type: "layers", diff_ids: diffIds } }));
  return { config, id: `sha256:${hex(config)}` };
}

/** What Docker 20.10 writes: `<v1 id>/layer.tar` per layer, `<image id>.json`, manifest.json. */
export function legacyArchive(layers: readonly Buffer[], image = imageOf(layers)): Readable {
  const dirs = layers.map((_, index) => `${String(index).repeat(64).slice(0, 64)}`);
  return archive([
    ...layers.flatMap((layer, index) => [
      { name: `${dirs[index]}/VERSION`, body: Buffer.from("1.0") },
      { name: `${dirs[index]}/layer.tar`, body: layer },
    ]),
    { name: `${image.id.slice(7)}.json`, body: image.config },
    { name: "manifest.json", body: Buffer.from(JSON.stringify([{ Config: `${image.id.slice(7)}.json`, RepoTags: null, Layers: dirs.map((dir) => `${dir}/layer.tar`) }])) },
    { name: "repositories", body: Buffer.from("{}") },
  ]);
}


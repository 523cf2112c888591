// Reading `docker save` archives (Docker's legacy layout, and the OCI layout of Docker 25+ with its
// links) into config, layers and manifest, large layers spooled to files as they stream by.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { ImageArchiveError, readImageArchive } from "../../../src/delivery/image-archive.js";
import { MEDIA_TYPES } from "../../../src/delivery/oci.js";
import { archive, hex, imageOf, legacyArchive, type Entry } from "./archives.js";

const spools: string[] = [];
function spoolDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-archive-test-"));
  spools.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of spools.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("readImageArchive", () => {
  it("reads Docker's legacy layout: plain layers whose digests are the diff IDs, large ones spooled to files", async () => {
    const small = randomBytes(3000);
    const large = randomBytes(600 * 1024);
    const image = imageOf([small, large]);
    const dir = spoolDir();
    const exported = await readImageArchive(legacyArchive([small, large], image), dir, { imageId: image.id });
    expect(exported.id).toBe(image.id);
    expect(exported.config.bytes.equals(image.config)).toBe(true);
    expect(exported.config.descriptor).toEqual({ mediaType: MEDIA_TYPES.dockerConfig, digest: image.id, size: image.config.length });
    expect(exported.layers.map((layer) => layer.descriptor)).toEqual([
      { mediaType: MEDIA_TYPES.dockerLayer, digest: `sha256:${hex(small)}`, size: small.length },
      { mediaType: MEDIA_TYPES.dockerLayer, digest: `sha256:${hex(large)}`, size: large.length },
    ]);
    expect(exported.layers[0]!.bytes?.equals(small)).toBe(true);
    expect(readFileSync(exported.layers[1]!.file!).equals(large)).toBe(true);
    expect(readdirSync(dir)).toHaveLength(1);
    const manifest = JSON.parse(exported.manifest.bytes.toString()) as { config: unknown; layers: unknown[] };
    expect(manifest.config).toEqual(exported.config.descriptor);
    expect(manifest.layers).toEqual(exported.layers.map((layer) => layer.descriptor));
    expect(exported.manifest.digest).toBe(`sha256:${hex(exported.manifest.bytes)}`);
  });

  it("reads the OCI layout of Docker 25+, following the links from the legacy paths, and keeps compressed layers as they are", async () => {
    const plain = randomBytes(1000);
    const gzipped = gzipSync(randomBytes(400 * 1024));
    const image = imageOf([plain, gzipped], [`sha256:${hex(plain)}`, `sha256:${"cd".repeat(32)}`]);
    const blob = (bytes: Buffer): Entry => ({ name: `blobs/sha256/${hex(bytes)}`, body: bytes });
    const exported = await readImageArchive(
      archive([
        { name: "blobs/", body: Buffer.alloc(0) },
        blob(plain),
        blob(gzipped),
        blob(image.config),
        { name: "oci-layout", body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
        { name: "index.json", body: Buffer.from("{}") },
        { name: `${"9".repeat(64)}/layer.tar`, symlink: `../blobs/sha256/${hex(plain)}` },
        { name: "manifest.json", body: Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${image.id.slice(7)}`, Layers: [`${"9".repeat(64)}/layer.tar`, `blobs/sha256/${hex(gzipped)}`] }])) },
      ]),
      spoolDir(),
      { imageId: image.id },
    );
    expect(exported.layers.map((layer) => [layer.descriptor.mediaType, layer.descriptor.digest, layer.descriptor.size])).toEqual([
      [MEDIA_TYPES.dockerLayer, `sha256:${hex(plain)}`, plain.length],
      [MEDIA_TYPES.dockerLayerGzip, `sha256:${hex(gzipped)}`, gzipped.length],
    ]);
    expect(readFileSync(exported.layers[1]!.file!).equals(gzipped)).toBe(true);
  });

  it("refuses an archive of another image, a plain layer that isn't its diff ID, missing parts, a broken stream", async () => {
    const layer = randomBytes(100);
    const image = imageOf([layer]);
    await expect(readImageArchive(legacyArchive([layer], image), spoolDir(), { imageId: `sha256:${"0".repeat(64)}` })).rejects.toThrow(`the archive holds image ${image.id}, not sha256:000`);
    const lying = imageOf([layer], [`sha256:${"ef".repeat(32)}`]);
    await expect(readImageArchive(legacyArchive([layer], lying), spoolDir())).rejects.toThrow(/layer 1 of the archive has digest sha256:[0-9a-f]{64}, but the image's config says sha256:efef/);
    await expect(readImageArchive(archive([{ name: "x", body: layer }]), spoolDir())).rejects.toThrow(ImageArchiveError);
    const broken = new Readable({ read() {} });
    const reading = readImageArchive(broken, spoolDir());
    broken.destroy(new Error("docker save failed: no such image"));
    await expect(reading).rejects.toThrow("docker save failed: no such image");
  });
});

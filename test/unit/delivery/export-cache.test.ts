// Exports kept across runs: a later run (a redeploy, another destination, a rollback) serves an
// image it finds in the cache without `docker save`, and the same bytes; runs at the same time
// share the cache safely; the cache stays within its limits but never drops what a live run uses.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync, readdirSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExportCache, imageCacheDir, type CacheLimits } from "../../../src/delivery/export-cache.js";
import type { ExportedImage } from "../../../src/delivery/image-archive.js";
import { ImageStore } from "../../../src/delivery/image-store.js";
import { sha256Digest } from "../../../src/delivery/oci.js";
import type { LocalDocker } from "../../../src/delivery/local-docker.js";
import { imageOf, legacyArchive } from "./archives.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function cacheRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-export-cache-test-"));
  dirs.push(dir);
  return join(dir, "berth", "images");
}

/** A Docker holding `app:<tag>` for each tag given (a small layer kept in memory and a spooled one each); it counts its saves. */
function fakeDocker(tags: readonly string[]) {
  const images = new Map<string, { layers: Buffer[]; image: { config: Buffer; id: string } }>();
  for (const tag of tags) {
    const layers = [randomBytes(2000), randomBytes(300 * 1024)];
    images.set(`app:${tag}`, { layers, image: imageOf(layers) });
  }
  const saves: string[] = [];
  const docker: LocalDocker = {
    imageId: async (reference) => images.get(reference)?.image.id,
    save: (id) => {
      saves.push(id);
      const found = [...images.values()].find((entry) => entry.image.id === id)!;
      return { stream: legacyArchive(found.layers, found.image), done: Promise.resolve(), cancel: () => undefined };
    },
  };
  return { docker, images, saves };
}

function run(docker: LocalDocker, root: string, limits?: CacheLimits): ImageStore {
  return new ImageStore(docker, { cache: new ExportCache(root, limits), spoolParent: tmpdir() });
}

/** The digests of every blob's bytes as the registry would serve them. */
function served(image: ExportedImage): string[] {
  return [image.config.bytes, ...image.layers.map((layer) => layer.bytes ?? readFileSync(layer.file!))].map(sha256Digest);
}

const entries = (root: string): string[] => readdirSync(root).filter((name) => !name.startsWith("."));

/** A cache in which one run has exported `app:1` and ended: what a later run finds. */
async function exportedOnce() {
  const root = cacheRoot();
  const fake = fakeDocker(["1"]);
  const { layers, image } = fake.images.get("app:1")!;
  const first = run(fake.docker, root);
  const exported = (await first.image("app:1"))!;
  first.close();
  return { root, fake, layers, image, exported };
}

describe("ExportCache", () => {
  it("a later run serves an image exported before without docker save, with the same manifest and bytes", async () => {
    const { root, fake, layers, image, exported } = await exportedOnce();
    const second = run(fake.docker, root);
    const found: boolean[] = [];
    const again = (await new ImageStore(fake.docker, { cache: new ExportCache(root), onExported: ({ cached }) => found.push(cached) }).image("app:1"))!;
    expect(fake.saves).toEqual([image.id]);
    expect(found).toEqual([true]);
    expect(again.manifest.digest).toBe(exported.manifest.digest);
    expect(served(again)).toEqual([image.config, ...layers].map(sha256Digest));
    expect(second.blob(again.layers[1]!.descriptor.digest)).toBeUndefined(); // nothing asked of it yet
    expect(entries(root)).toEqual([image.id.slice(7)]);
    expect(readdirSync(root).filter((name) => name.startsWith(".staging-"))).toEqual([]);
    second.close();
  });

  it("two runs exporting the same image at once both serve it, and leave one whole entry", async () => {
    const root = cacheRoot();
    const fake = fakeDocker(["1"]);
    const runs = [run(fake.docker, root), run(fake.docker, root)];
    const [a, b] = await Promise.all(runs.map((store) => store.image("app:1")));
    expect(served(a!)).toEqual(served(b!));
    expect(readdirSync(root)).toEqual([fake.images.get("app:1")!.image.id.slice(7)]);
    for (const store of runs) store.close();
  });

  it("keeps the newest images within its limits, but none a live run uses", async () => {
    const root = cacheRoot();
    const fake = fakeDocker(["1", "2", "3"]);
    const id = (tag: string): string => fake.images.get(`app:${tag}`)!.image.id.slice(7);
    const limits = { images: 1, bytes: 10_000_000 };
    const first = run(fake.docker, root, limits);
    await first.image("app:1");
    const second = run(fake.docker, root, limits);
    await second.image("app:2");
    // 1 is in use by the first run, so it stays beside 2.
    expect(entries(root).sort()).toEqual([id("1"), id("2")].sort());
    first.close();
    second.close();
    const third = run(fake.docker, root, limits);
    await third.image("app:3");
    // Past the limit of one image (3, in use): the older ones go.
    expect(entries(root)).toEqual([id("3")]);
    third.close();
    const bySize = run(fake.docker, root, { images: 10, bytes: 100_000 });
    await bySize.image("app:1");
    bySize.close();
    expect(entries(root)).toEqual([id("1")]); // 3 went for the size cap (each ~300 kB)
  });

  it("exports again over a damaged entry", async () => {
    const { root, fake, layers, image, exported } = await exportedOnce();
    truncateSync(exported.layers[1]!.file!, 1000);
    const second = run(fake.docker, root);
    const again = (await second.image("app:1"))!;
    expect(served(again)).toEqual([image.config, ...layers].map(sha256Digest));
    expect(fake.saves).toHaveLength(2);
    second.close();
    // A compression a dead run left half-written is removed by the next run that reads the entry.
    const leftover = `${again.layers[0]!.file!}.gz.999999999.abc.tmp`;
    writeFileSync(leftover, "half");
    const third = run(fake.docker, root);
    await third.image("app:1");
    expect(existsSync(leftover)).toBe(false);
    third.close();
  });

  it("is not used when others may write to it", async () => {
    const root = cacheRoot();
    mkdirSync(root, { recursive: true, mode: 0o777 });
    chmodSync(root, 0o777);
    const fake = fakeDocker(["1"]);
    const store = run(fake.docker, root);
    await store.image("app:1");
    store.close();
    expect(readdirSync(root)).toEqual([]);
  });

  it("lives under $XDG_CACHE_HOME/berth/images, or ~/.cache/berth/images", () => {
    expect(imageCacheDir({ XDG_CACHE_HOME: "/x/cache", HOME: "/home/a" })).toBe("/x/cache/berth/images");
    expect(imageCacheDir({ XDG_CACHE_HOME: "relative", HOME: "/home/a" })).toBe("/home/a/.cache/berth/images");
  });
});

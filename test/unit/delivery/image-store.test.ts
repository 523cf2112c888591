// The run's image store: one export per image ID however many hosts ask at once, a failed export
// tried again, manifests and blobs by digest, and the spool removed (and saves ended) on close.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { ImageStore } from "../../../src/delivery/image-store.js";
import type { ImageSave, LocalDocker } from "../../../src/delivery/local-docker.js";
import { imageOf, legacyArchive } from "./archives.js";

const parents: string[] = [];
afterEach(() => {
  for (const dir of parents.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A Docker with one image under `app:1`; `failures` saves fail first; `hold` keeps saves open until cancelled. */
function fakeDocker(options: { failures?: number; hold?: boolean } = {}) {
  const layers = [randomBytes(2000), randomBytes(300 * 1024)];
  const image = imageOf(layers);
  let failures = options.failures ?? 0;
  const saves: string[] = [];
  const cancelled: string[] = [];
  const docker: LocalDocker = {
    imageId: async (reference) => (reference === "app:1" ? image.id : undefined),
    save: (id): ImageSave => {
      saves.push(id);
      if (failures-- > 0) {
        const stream = new PassThrough();
        const done = Promise.reject(new Error("docker save failed: disk full"));
        done.catch(() => undefined);
        setImmediate(() => stream.destroy(new Error("docker save failed: disk full")));
        return { stream, done, cancel: () => cancelled.push(id) };
      }
      if (options.hold) {
        const stream = new PassThrough();
        let settle: (error: Error) => void = () => undefined;
        const done = new Promise<void>((_, reject) => (settle = reject));
        done.catch(() => undefined);
        return { stream, done, cancel: () => (cancelled.push(id), settle(new Error("cancelled")), stream.destroy(new Error("cancelled"))) };
      }
      const stream: Readable = legacyArchive(layers, image);
      return { stream, done: Promise.resolve(), cancel: () => cancelled.push(id) };
    },
  };
  return { docker, image, layers, saves, cancelled };
}

function store(docker: LocalDocker): { store: ImageStore; parent: string } {
  const parent = mkdtempSync(join(tmpdir(), "berth-store-test-"));
  parents.push(parent);
  return { store: new ImageStore(docker, { spoolParent: parent }), parent };
}

describe("ImageStore", () => {
  it("exports an image once for every host that asks, and finds its manifest and blobs by digest", async () => {
    const fake = fakeDocker();
    const { store: images } = store(fake.docker);
    const [a, b] = await Promise.all([images.image("app:1"), images.image("app:1")]);
    expect(a).toBe(b);
    expect(fake.saves).toEqual([fake.image.id]);
    expect(await images.image("app:2")).toBeUndefined();
    expect(images.manifest(a!.manifest.digest)).toBe(a!.manifest);
    expect(images.blob(fake.image.id)?.kind).toBe("config");
    expect(images.blob(a!.layers[1]!.descriptor.digest)).toMatchObject({ kind: "layer", blob: { file: expect.any(String) } });
    expect(images.blob(`sha256:${"0".repeat(64)}`)).toBeUndefined();
  });

  it("tries a failed export again, leaving nothing of it in the spool", async () => {
    const fake = fakeDocker({ failures: 1 });
    const { store: images, parent } = store(fake.docker);
    await expect(images.image("app:1")).rejects.toThrow("docker save failed: disk full");
    const [spool] = readdirSync(parent);
    expect(readdirSync(join(parent, spool!))).toEqual([]);
    expect((await images.image("app:1"))?.id).toBe(fake.image.id);
    expect(fake.saves).toHaveLength(2);
  });

  it("close ends the saves under way and removes the spool", async () => {
    const fake = fakeDocker({ hold: true });
    const { store: images, parent } = store(fake.docker);
    const exporting = images.image("app:1");
    await new Promise((resolve) => setTimeout(resolve, 20));
    images.close();
    await expect(exporting).rejects.toThrow("cancelled");
    expect(fake.cancelled).toContain(fake.image.id);
    expect(readdirSync(parent)).toEqual([]);
    expect(existsSync(parent)).toBe(true);
  });
});

// A plain layer is compressed once per run for every host: concurrent requests (two hosts'
// registries pulling the same layer at once) share one compression and get the same bytes, later
// ones read the finished file with its length, and the file stays beside the layer for a later run.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { Blob } from "../../../src/delivery/image-archive.js";
import { LayerGzip } from "../../../src/delivery/layer-gzip.js";
import { MEDIA_TYPES, sha256Digest } from "../../../src/delivery/oci.js";
import { RegistryServer } from "../../../src/delivery/registry-server.js";

const dir = mkdtempSync(join(tmpdir(), "berth-layer-gzip-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A plain layer file of ~6 MB, half text and half random bytes: several chunks of compressed output. */
function layerFile(name: string): { blob: Blob; bytes: Buffer } {
  const bytes = Buffer.concat([Buffer.from("a layer that compresses\n".repeat(125_000)), randomBytes(3_000_000)]);
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return { bytes, blob: { descriptor: { mediaType: MEDIA_TYPES.dockerLayer, digest: sha256Digest(bytes), size: bytes.length }, file } };
}

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("LayerGzip", () => {
  it("compresses a layer once for requests at the same time and after, and keeps the result beside it", async () => {
    const { blob, bytes } = layerFile("0");
    const gzip = new LayerGzip();
    const first = gzip.body(blob);
    const second = gzip.body(blob);
    expect(first.size).toBeUndefined(); // under way: sent chunked
    const [a, b] = await Promise.all([read(first.stream), read(second.stream)]);
    expect(gzip.compressions).toBe(1);
    expect(a.equals(b)).toBe(true);
    expect(gunzipSync(a).equals(bytes)).toBe(true);
    const later = gzip.body(blob);
    expect(later.size).toBe(a.length);
    expect((await read(later.stream)).equals(a)).toBe(true);
    expect(gzip.compressions).toBe(1);
    // A later run (a cached export) finds the finished file and compresses nothing.
    expect(readdirSync(dir).filter((name) => name.startsWith("0"))).toEqual(["0", "0.gz"]);
    const nextRun = new LayerGzip();
    expect((await read(nextRun.body(blob).stream)).equals(a)).toBe(true);
    expect(nextRun.compressions).toBe(0);
  });

  it("fails the requests of a compression that failed, and compresses again for the next", async () => {
    const { blob, bytes } = layerFile("1");
    rmSync(blob.file!);
    const gzip = new LayerGzip();
    await expect(read(gzip.body(blob).stream)).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir).filter((name) => name.startsWith("1"))).toEqual([]);
    writeFileSync(blob.file!, bytes);
    expect(gunzipSync(await read(gzip.body(blob).stream)).equals(bytes)).toBe(true);
    expect(gzip.compressions).toBe(2);
  });

  it("two hosts' registries pulling the same plain layer at once share one compression; the digest stays the plain layer's", async () => {
    const { blob, bytes } = layerFile("2");
    const gzip = new LayerGzip();
    const catalog = { manifest: () => Promise.resolve(undefined), blob: () => ({ kind: "layer" as const, blob }) };
    const servers = [new RegistryServer(catalog, { gzip }), new RegistryServer(catalog, { gzip })];
    const sockets = servers.map((_, index) => join(dir, `${index}.sock`));
    await Promise.all(servers.map((server, index) => server.listen(sockets[index]!)));
    try {
      const pull = (socketPath: string): Promise<{ headers: Record<string, unknown>; body: Buffer }> =>
        new Promise((resolve, reject) => {
          const req = request({ socketPath, path: `/v2/app/blobs/${blob.descriptor.digest}`, headers: { "Accept-Encoding": "gzip" } }, (response) => {
            read(response).then((body) => resolve({ headers: response.headers, body }), reject);
          });
          req.on("error", reject);
          req.end();
        });
      const replies = await Promise.all(sockets.map(pull));
      expect(gzip.compressions).toBe(1);
      for (const [index, reply] of replies.entries()) {
        expect(reply.headers["content-encoding"]).toBe("gzip");
        expect(reply.headers["docker-content-digest"]).toBe(blob.descriptor.digest);
        expect(sha256Digest(gunzipSync(reply.body))).toBe(sha256Digest(bytes));
        expect(servers[index]!.counts()).toMatchObject({ layers: 1, layerBytes: reply.body.length, layerContentBytes: bytes.length });
      }
      expect(existsSync(`${blob.file!}.gz`)).toBe(true);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });
});

// The read-only registry on a unix socket, spoken to as a Docker daemon would: the API check,
// manifests by tag and digest (HEAD and GET), blobs whole and in ranges, refusals, and the counts.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredBlob } from "../../../src/delivery/image-store.js";
import { MEDIA_TYPES, imageManifest, sha256Digest, type ImageManifest } from "../../../src/delivery/oci.js";
import { RegistryServer, acceptsGzip } from "../../../src/delivery/registry-server.js";

const config = Buffer.from('{"rootfs":{}}');
const layer = randomBytes(70_000);
const dir = mkdtempSync(join(tmpdir(), "berth-registry-test-"));
const layerFile = join(dir, "layer");
writeFileSync(layerFile, layer);
const manifest = imageManifest({ digest: sha256Digest(config), size: config.length }, [{ digest: sha256Digest(layer), size: layer.length, compression: "none" }]);
/** A layer that compresses well (text), in memory. */
const text = Buffer.from("berth serves this layer from here\n".repeat(4000));
const blobs = new Map<string, StoredBlob>([
  [sha256Digest(text), { kind: "layer", blob: { descriptor: { mediaType: MEDIA_TYPES.dockerLayer, digest: sha256Digest(text), size: text.length }, bytes: text } }],
  [sha256Digest(config), { kind: "config", blob: { descriptor: { mediaType: MEDIA_TYPES.dockerConfig, digest: sha256Digest(config), size: config.length }, bytes: config } }],
  [sha256Digest(layer), { kind: "layer", blob: { descriptor: { mediaType: MEDIA_TYPES.dockerLayer, digest: sha256Digest(layer), size: layer.length }, file: layerFile } }],
]);
const asked: string[] = [];
const server = new RegistryServer({
  manifest: async (repository, reference): Promise<ImageManifest | undefined> => {
    asked.push(`${repository}:${reference}`);
    if (reference === "broken") throw new Error("docker save failed");
    return repository === "app" && (reference === "v1" || reference === manifest.digest) ? manifest : undefined;
  },
  blob: (repository, digest) => (repository === "app" ? blobs.get(digest) : undefined),
}, { onError: (error) => errors.push(String(error)) });
const errors: string[] = [];
const socket = join(dir, "registry.sock");

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function call(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(() => server.listen(socket));
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("RegistryServer", () => {
  it("answers the API check as a v2 registry", async () => {
    const reply = await call("GET", "/v2/");
    expect(reply.status).toBe(200);
    expect(reply.headers["docker-distribution-api-version"]).toBe("registry/2.0");
  });

  it("serves a manifest by tag and by digest with its media type and digest; HEAD sends no body", async () => {
    const head = await call("HEAD", "/v2/app/manifests/v1");
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toBe(MEDIA_TYPES.dockerManifest);
    expect(head.headers["docker-content-digest"]).toBe(manifest.digest);
    expect(head.headers["content-length"]).toBe(String(manifest.bytes.length));
    expect(head.body.length).toBe(0);
    const byDigest = await call("GET", `/v2/app/manifests/${manifest.digest}`);
    expect(byDigest.body.equals(manifest.bytes)).toBe(true);
    expect(byDigest.headers["docker-content-digest"]).toBe(manifest.digest);
  });

  it("serves blobs whole and from an offset (a resumed download)", async () => {
    const whole = await call("GET", `/v2/app/blobs/${sha256Digest(layer)}`);
    expect(whole.status).toBe(200);
    expect(whole.headers["content-type"]).toBe("application/octet-stream");
    expect(whole.headers["docker-content-digest"]).toBe(sha256Digest(layer));
    expect(whole.body.equals(layer)).toBe(true);
    const rest = await call("GET", `/v2/app/blobs/${sha256Digest(layer)}`, { Range: "bytes=60000-" });
    expect(rest.status).toBe(206);
    expect(rest.headers["content-range"]).toBe(`bytes 60000-69999/70000`);
    expect(rest.body.equals(layer.subarray(60000))).toBe(true);
    expect((await call("GET", `/v2/app/blobs/${sha256Digest(config)}`)).body.equals(config)).toBe(true);
    expect((await call("GET", `/v2/app/blobs/${sha256Digest(layer)}`, { Range: "bytes=70000-" })).status).toBe(416);
  });

  it("refuses unknown tags, blobs and names with the registry's errors, writes with 405, and reports its own failures", async () => {
    const unknown = await call("GET", "/v2/app/manifests/v2");
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString())).toEqual({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown: app:v2" }] });
    expect((await call("GET", `/v2/other/blobs/${sha256Digest(layer)}`)).status).toBe(404);
    expect((await call("GET", "/v2/_catalog")).status).toBe(404);
    expect((await call("POST", "/v2/app/blobs/uploads/")).status).toBe(405);
    expect((await call("PUT", "/v2/app/manifests/v1")).status).toBe(405);
    const broken = await call("GET", "/v2/app/manifests/broken");
    expect(broken.status).toBe(500);
    expect(broken.body.toString()).toContain("docker save failed");
    expect(errors).toEqual(["Error: docker save failed"]);
  });

  it("counts what it sent: manifests, configs and layers (GETs only), and every byte on the wire", async () => {
    const counts = server.counts();
    expect(counts).toMatchObject({ manifests: 1, manifestBytes: manifest.bytes.length, configs: 1, configBytes: config.length, layers: 2, layerBytes: layer.length + 10_000, layerContentBytes: layer.length + 10_000 });
    expect(counts.bytesWritten).toBeGreaterThan(manifest.bytes.length + config.length + layer.length + 10_000);
    expect(counts.bytesWritten).toBeLessThan(manifest.bytes.length + config.length + layer.length + 10_000 + 8000);
  });

  it("sends a whole plain layer gzip-compressed to a client that takes gzip (as the daemon's Go client does), counting the bytes sent", async () => {
    const before = server.counts();
    const zipped = await call("GET", `/v2/app/blobs/${sha256Digest(text)}`, { "Accept-Encoding": "gzip" });
    expect(zipped.status).toBe(200);
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers["docker-content-digest"]).toBe(sha256Digest(text));
    expect(gunzipSync(zipped.body).equals(text)).toBe(true);
    const after = server.counts();
    expect(after.layers - before.layers).toBe(1);
    expect(after.layerContentBytes - before.layerContentBytes).toBe(text.length);
    expect(after.layerBytes - before.layerBytes).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(text.length / 20);
    // A resumed download gets the plain bytes from its offset; a client that doesn't ask for gzip, plain bytes.
    const rest = await call("GET", `/v2/app/blobs/${sha256Digest(text)}`, { "Accept-Encoding": "gzip", Range: "bytes=100-" });
    expect(rest.headers["content-encoding"]).toBeUndefined();
    expect(rest.body.equals(text.subarray(100))).toBe(true);
    const plain = await call("GET", `/v2/app/blobs/${sha256Digest(text)}`, { "Accept-Encoding": "identity" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.equals(text)).toBe(true);
    // The config goes as it is.
    expect((await call("GET", `/v2/app/blobs/${sha256Digest(config)}`, { "Accept-Encoding": "gzip" })).headers["content-encoding"]).toBeUndefined();
  });
});

it("acceptsGzip reads Accept-Encoding", () => {
  expect(acceptsGzip("gzip")).toBe(true);
  expect(acceptsGzip("deflate, gzip;q=0.5")).toBe(true);
  expect(acceptsGzip("identity")).toBe(false);
  expect(acceptsGzip("gzip;q=0")).toBe(false);
  expect(acceptsGzip(undefined)).toBe(false);
});

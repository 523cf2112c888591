// The pull side of the distribution protocol as a Docker daemon meets it: routes, ranges, media
// types and the manifest made from an exported image.
import { describe, expect, it } from "vitest";
import { MEDIA_TYPES, byteRange, compressionOf, errorBody, imageManifest, route, sha256Digest } from "../../../src/delivery/oci.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("route", () => {
  it("names the base, manifests by tag or digest, and blobs by digest, for names with slashes", () => {
    expect(route("/v2/")).toEqual({ kind: "base" });
    expect(route("/v2")).toEqual({ kind: "base" });
    expect(route("/v2/my-user/my-app/manifests/abc123")).toEqual({ kind: "manifest", repository: "my-user/my-app", reference: "abc123" });
    expect(route(`/v2/app/manifests/${DIGEST}`)).toEqual({ kind: "manifest", repository: "app", reference: DIGEST });
    expect(route(`/v2/app/berth-proxy/blobs/${DIGEST}?ns=x`)).toEqual({ kind: "blob", repository: "app/berth-proxy", digest: DIGEST });
  });

  it("refuses what isn't a pull endpoint: uploads, catalogs, bad names, tags or digests", () => {
    for (const path of ["/v2/_catalog", "/v2/app/blobs/uploads/", "/v2/app/tags/list", "/v2/App/manifests/x", "/v2/app/manifests/-x", "/v2/app/blobs/latest", "/v2/../x/manifests/a", "/"]) {
      expect(route(path), path).toEqual({ kind: "unknown" });
    }
  });
});

describe("byteRange", () => {
  it("reads one range, open-ended or a suffix, clamped to the blob", () => {
    expect(byteRange(undefined, 10)).toBeUndefined();
    expect(byteRange("bytes=0-", 10)).toEqual({ start: 0, end: 9 });
    expect(byteRange("bytes=4-6", 10)).toEqual({ start: 4, end: 6 });
    expect(byteRange("bytes=4-99", 10)).toEqual({ start: 4, end: 9 });
    expect(byteRange("bytes=-3", 10)).toEqual({ start: 7, end: 9 });
    expect(byteRange("bytes=10-", 10)).toBe("unsatisfiable");
    expect(byteRange("bytes=5-4", 10)).toBe("unsatisfiable");
    expect(byteRange("bytes=0-1,4-5", 10)).toBeUndefined();
    expect(byteRange("items=0-1", 10)).toBeUndefined();
  });
});

describe("compressionOf", () => {
  it("tells gzip and zstd by their magic, anything else is a plain tar", () => {
    expect(compressionOf(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe("gzip");
    expect(compressionOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe("zstd");
    expect(compressionOf(Buffer.from("app/"))).toBe("none");
    expect(compressionOf(Buffer.alloc(0))).toBe("none");
  });
});

describe("imageManifest", () => {
  it("is Docker's schema 2 with plain-tar layers, its digest the sha256 of its bytes", () => {
    const manifest = imageManifest({ digest: DIGEST, size: 1234 }, [
      { digest: `sha256:${"01".repeat(32)}`, size: 2048, compression: "none" },
      { digest: `sha256:${"02".repeat(32)}`, size: 99, compression: "gzip" },
    ]);
    expect(manifest.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    expect(manifest.digest).toBe(sha256Digest(manifest.bytes));
    expect(JSON.parse(manifest.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 1234, digest: DIGEST },
      layers: [
        { mediaType: "application/vnd.docker.image.rootfs.diff.tar", size: 2048, digest: `sha256:${"01".repeat(32)}` },
        { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 99, digest: `sha256:${"02".repeat(32)}` },
      ],
    });
  });

  it("is OCI's when a layer is zstd, which schema 2 can't name", () => {
    const manifest = imageManifest({ digest: DIGEST, size: 1 }, [
      { digest: DIGEST, size: 1, compression: "zstd" },
      { digest: DIGEST, size: 1, compression: "none" },
    ]);
    const document = JSON.parse(manifest.bytes.toString()) as { mediaType: string; config: { mediaType: string }; layers: { mediaType: string }[] };
    expect(document.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(document.config.mediaType).toBe(MEDIA_TYPES.ociConfig);
    expect(document.layers.map((layer) => layer.mediaType)).toEqual([MEDIA_TYPES.ociLayerZstd, MEDIA_TYPES.ociLayer]);
  });
});

it("errorBody is the registry's error document", () => {
  expect(JSON.parse(errorBody("MANIFEST_UNKNOWN", "no such tag"))).toEqual({ errors: [{ code: "MANIFEST_UNKNOWN", message: "no such tag" }] });
});

// The pull side of the OCI distribution protocol, as far as a Docker daemon needs it to pull an
// image: the media types, an image manifest made from an exported image, the `/v2/` routes and
// the registry's error bodies. Pure: the server (registry-server.ts) and the export
// (image-archive.ts) use it.
import { createHash } from "node:crypto";

export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
} as const;

export interface Descriptor {
  readonly mediaType: string;
  /** `sha256:<hex>` */
  readonly digest: string;
  readonly size: number;
}

/** Whether a layer's media type is a plain (uncompressed) tar. */
export function isPlainLayer(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.dockerLayer || mediaType === MEDIA_TYPES.ociLayer;
}

/** How a layer's bytes are stored: `docker save` gives plain tars; a containerd image store may keep them compressed. */
export type Compression = "none" | "gzip" | "zstd";

/** A layer's compression, told by its first bytes (gzip 1f 8b, zstd 28 b5 2f fd). */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  return "none";
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export interface ImageManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
}

export interface ManifestLayer {
  readonly digest: string;
  readonly size: number;
  readonly compression: Compression;
}

/**
 * The image manifest of a config and its layers: Docker's schema 2 (what `docker push` writes,
 * with plain-tar layers as `rootfs.diff.tar`), or OCI's where a layer is zstd, which schema 2
 * can't name. The config's digest is the image ID, so the host's image has the same ID as here.
 */
export function imageManifest(config: { digest: string; size: number }, layers: readonly ManifestLayer[]): ImageManifest {
  const oci = layers.some((layer) => layer.compression === "zstd");
  const layerType = (compression: Compression): string => {
    if (oci) return compression === "zstd" ? MEDIA_TYPES.ociLayerZstd : compression === "gzip" ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer;
    return compression === "gzip" ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.dockerLayer;
  };
  const mediaType = oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const document = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: oci ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, size: config.size, digest: config.digest },
    layers: layers.map((layer) => ({ mediaType: layerType(layer.compression), size: layer.size, digest: layer.digest })),
  };
  const bytes = Buffer.from(JSON.stringify(document));
  return { mediaType, digest: sha256Digest(bytes), bytes };
}

// Routes ------------------------------------------------------------------------------------

export type Route =
  | { readonly kind: "base" }
  | { readonly kind: "manifest"; readonly repository: string; readonly reference: string }
  | { readonly kind: "blob"; readonly repository: string; readonly digest: string }
  | { readonly kind: "unknown" };

/** The distribution spec's repository name (path components of lowercase alphanumerics and separators). */
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isDigest(reference: string): boolean {
  return DIGEST.test(reference);
}

/** Which pull endpoint a request path names: `/v2/`, `/v2/<name>/manifests/<tag|digest>`, `/v2/<name>/blobs/<digest>`. */
export function route(path: string): Route {
  const pathname = path.split("?")[0] ?? "";
  if (pathname === "/v2/" || pathname === "/v2") return { kind: "base" };
  const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(pathname);
  if (match === null) return { kind: "unknown" };
  const [, repository = "", endpoint, reference = ""] = match;
  if (!REPOSITORY.test(repository)) return { kind: "unknown" };
  if (endpoint === "blobs") return isDigest(reference) ? { kind: "blob", repository, digest: reference } : { kind: "unknown" };
  return TAG.test(reference) || isDigest(reference) ? { kind: "manifest", repository, reference } : { kind: "unknown" };
}

export type RegistryErrorCode = "MANIFEST_UNKNOWN" | "BLOB_UNKNOWN" | "NAME_UNKNOWN" | "UNSUPPORTED" | "UNKNOWN";

/** The registry's JSON error body: `{"errors":[{"code","message"}]}`. */
export function errorBody(code: RegistryErrorCode, message: string): string {
  return JSON.stringify({ errors: [{ code, message }] });
}

/** One `Range: bytes=START-[END]` request against a blob of `size` bytes: the inclusive span, or undefined when it isn't one. */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null || (match[1] === "" && match[2] === "")) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "") {
    const suffix = Math.min(Number(last), size);
    return suffix === 0 ? "unsatisfiable" : { start: size - suffix, end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return start > end || start >= size ? "unsatisfiable" : { start, end };
}

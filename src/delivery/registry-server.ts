// A read-only registry (the pull side of the OCI distribution protocol) on a unix socket: what a
// host's Docker daemon pulls through its SSH connection's forward. `/v2/`, manifests by tag or
// digest and blobs by digest, with HEAD, single byte ranges (a resumed download), the registry's
// headers (Content-Type, Docker-Content-Digest) and error bodies. Everything else is refused.
// It counts what it sends: requests, manifests, configs and layers, and the bytes on the wire.
// A plain layer goes gzip-compressed to a client that accepts it (`Accept-Encoding: gzip`, which
// the daemon's Go client sends and undoes by itself, then checks the digest of what it undid):
// the bytes on the wire are about a registry's compressed layer, while the manifest's descriptor
// (digest and size) stays the plain layer's, its diff ID, stable from run to run whatever gzip
// makes of it. The compression is the run's, made once per layer for every host (layer-gzip.ts).
import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable, pipeline } from "node:stream";
import type { StoredBlob } from "./image-store.js";
import { LayerGzip } from "./layer-gzip.js";
import { byteRange, errorBody, isPlainLayer, route, type ImageManifest, type RegistryErrorCode } from "./oci.js";

export interface RegistryCatalog {
  /** The manifest of a repository's tag or digest; undefined when there is none. Rejects when it can't be made. */
  manifest(repository: string, reference: string): Promise<ImageManifest | undefined>;
  blob(repository: string, digest: string): StoredBlob | undefined;
}

export interface DeliveryCounts {
  readonly requests: number;
  /** Manifests, configs and layers sent (GET; HEAD sends none), and their bytes. */
  readonly manifests: number;
  readonly manifestBytes: number;
  readonly configs: number;
  readonly configBytes: number;
  readonly layers: number;
  /** Layer bytes as sent (gzip-compressed where the client accepted it). */
  readonly layerBytes: number;
  /** The same layers' own bytes (uncompressed tars). */
  readonly layerContentBytes: number;
  /** Everything written to the sockets: status lines, headers and bodies. */
  readonly bytesWritten: number;
}

type Counter = { -readonly [key in keyof DeliveryCounts]: DeliveryCounts[key] };

export interface RegistryServerOptions {
  /** A request that failed on this side (an export that failed, a file that can't be read). */
  readonly onError?: (error: unknown, request: string) => void;
  /** The run's compressed layers, shared by every host's server (one compression per layer); a server of its own otherwise. */
  readonly gzip?: LayerGzip;
}

const API_VERSION_HEADER = { "Docker-Distribution-API-Version": "registry/2.0" };

export class RegistryServer {
  private readonly server: Server;
  private readonly counter: Counter = { requests: 0, manifests: 0, manifestBytes: 0, configs: 0, configBytes: 0, layers: 0, layerBytes: 0, layerContentBytes: 0, bytesWritten: 0 };
  private readonly sockets = new Set<Socket>();
  private readonly gzip: LayerGzip;

  constructor(
    private readonly catalog: RegistryCatalog,
    private readonly options: RegistryServerOptions = {},
  ) {
    this.gzip = options.gzip ?? new LayerGzip();
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => {
        this.counter.bytesWritten += socket.bytesWritten;
        this.sockets.delete(socket);
      });
    });
  }

  listen(socketPath: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(socketPath, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  counts(): DeliveryCounts {
    let live = 0;
    for (const socket of this.sockets) live += socket.bytesWritten;
    return { ...this.counter, bytesWritten: this.counter.bytesWritten + live };
  }

  /** Stops listening and ends every connection. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.counter.requests++;
    const target = route(request.url ?? "");
    const head = request.method === "HEAD";
    if (request.method !== "GET" && !head) return refuse(response, 405, "UNSUPPORTED", "this registry only serves pulls");
    try {
      switch (target.kind) {
        case "base":
          return send(response, 200, { ...API_VERSION_HEADER, "Content-Type": "application/json" }, head ? undefined : Buffer.from("{}"));
        case "manifest": {
          const manifest = await this.catalog.manifest(target.repository, target.reference);
          if (manifest === undefined) return refuse(response, 404, "MANIFEST_UNKNOWN", `manifest unknown: ${target.repository}:${target.reference}`);
          if (!head) {
            this.counter.manifests++;
            this.counter.manifestBytes += manifest.bytes.length;
          }
          const headers = { ...API_VERSION_HEADER, "Content-Type": manifest.mediaType, "Docker-Content-Digest": manifest.digest, ETag: `"${manifest.digest}"` };
          return send(response, 200, headers, head ? undefined : manifest.bytes, manifest.bytes.length);
        }
        case "blob": {
          const stored = this.catalog.blob(target.repository, target.digest);
          if (stored === undefined) return refuse(response, 404, "BLOB_UNKNOWN", `blob unknown: ${target.digest}`);
          return this.sendBlob(request, response, stored, head);
        }
        default:
          return refuse(response, 404, "NAME_UNKNOWN", `not found: ${request.url ?? ""}`);
      }
    } catch (error) {
      this.options.onError?.(error, `${request.method} ${request.url}`);
      if (!response.headersSent) refuse(response, 500, "UNKNOWN", error instanceof Error ? error.message : String(error));
      else response.destroy();
    }
  }

  private sendBlob(request: IncomingMessage, response: ServerResponse, stored: StoredBlob, head: boolean): void {
    const { descriptor, bytes, file } = stored.blob;
    const size = descriptor.size;
    const range = byteRange(request.headers.range, size);
    const headers: Record<string, string> = { ...API_VERSION_HEADER, "Content-Type": "application/octet-stream", "Docker-Content-Digest": descriptor.digest, "Accept-Ranges": "bytes" };
    if (range === "unsatisfiable") return refuse(response, 416, "UNKNOWN", "range not satisfiable", { "Content-Range": `bytes */${size}` });
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const status = range === undefined ? 200 : 206;
    if (range !== undefined) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    const length = Math.max(0, end - start + 1);
    if (head || length === 0) return send(response, status, headers, head ? undefined : Buffer.alloc(0), length);
    if (stored.kind === "config") this.counter.configs++;
    else this.counter.layers++;
    // A whole plain layer to a client that takes gzip goes compressed (chunked while its compression is under way).
    const compress = stored.kind === "layer" && range === undefined && isPlainLayer(descriptor.mediaType) && acceptsGzip(request.headers["accept-encoding"]);
    const finished = (error: NodeJS.ErrnoException | null): void => {
      // A client that went away mid-blob is no failure of ours; a file that can't be read is.
      if (error && error.code !== "ERR_STREAM_PREMATURE_CLOSE") this.options.onError?.(error, `${request.method} ${request.url}`);
    };
    if (compress) {
      const gzipped = this.gzip.body(stored.blob);
      gzipped.stream.on("data", (chunk: Buffer) => (this.counter.layerBytes += chunk.length));
      // The layer's own bytes, once its compressed ones are all read (a host that goes away midway took none).
      gzipped.stream.on("end", () => (this.counter.layerContentBytes += size));
      const lengthHeader: Record<string, string> = gzipped.size === undefined ? {} : { "Content-Length": String(gzipped.size) };
      response.writeHead(status, { ...headers, "Content-Encoding": "gzip", ...lengthHeader });
      return void pipeline(gzipped.stream, response, finished);
    }
    const body = bytes !== undefined ? Readable.from([bytes.subarray(start, end + 1)]) : createReadStream(file!, { start, end });
    body.on("data", (chunk: Buffer) => {
      if (stored.kind === "config") this.counter.configBytes += chunk.length;
      else {
        this.counter.layerContentBytes += chunk.length;
        this.counter.layerBytes += chunk.length;
      }
    });
    response.writeHead(status, { ...headers, "Content-Length": String(length) });
    pipeline(body, response, finished);
  }
}

/** Whether an Accept-Encoding header takes gzip (and doesn't refuse it with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  return (header ?? "").split(",").some((part) => {
    const [coding = "", ...parameters] = part.trim().toLowerCase().split(";");
    const refused = parameters.some((parameter) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(parameter));
    return (coding.trim() === "gzip" || coding.trim() === "x-gzip") && !refused;
  });
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | undefined, length = body?.length ?? 0): void {
  response.writeHead(status, { ...headers, "Content-Length": String(length) });
  response.end(body);
}

function refuse(response: ServerResponse, status: number, code: RegistryErrorCode, message: string, extra: Record<string, string> = {}): void {
  send(response, status, { ...API_VERSION_HEADER, "Content-Type": "application/json", ...extra }, Buffer.from(errorBody(code, message)));
}

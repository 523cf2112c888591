// Plain layers gzip-compressed once per run for every host that takes gzip, instead of once per
// request: with N hosts pulling the same layer, the deploying machine compresses it once.
// A spooled layer is compressed to a file beside it (`<file>.gz`, written aside and renamed, so a
// cached export keeps it for later runs and two runs never read each other's half-written file).
// Hosts that ask while it is being written follow the growing file: every host receives the
// compressed bytes as fast as they are made, none waits for the whole layer, and nothing larger
// than a chunk is held in memory. Small layers (kept in memory) are compressed in memory.
import { close, createReadStream, existsSync, openSync, read, renameSync, rmSync, statSync, write } from "node:fs";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { createGzip, gzip } from "node:zlib";
import type { Blob } from "./image-archive.js";

/** zlib's default, as registries' layers are compressed: a fair trade of CPU for bytes over SSH. */
export const GZIP_LEVEL = 6;
const CHUNK_BYTES = 64 * 1024;

/** A layer's gzip bytes: a stream to send, and their length when known ahead (the compression is done). */
export interface GzipBody {
  readonly stream: Readable;
  readonly size?: number;
}

/** One compression to a file, and how far it has got. */
class Compression {
  written = 0;
  done = false;
  failure: Error | undefined;
  private wakers: Array<() => void> = [];

  constructor(public path: string) {}

  changed(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const waker of wakers) waker();
  }
}

export class LayerGzip {
  /** Layers compressed by this run (not read back from an earlier run's file). */
  compressions = 0;
  private readonly files = new Map<string, Compression>();
  private readonly inMemory = new Map<string, Promise<Buffer>>();

  /** The layer's bytes gzip-compressed: one compression per layer, shared by everyone who asks. */
  body(blob: Blob): GzipBody {
    if (blob.file === undefined) return this.memoryBody(blob);
    const target = `${blob.file}.gz`;
    let compression = this.files.get(blob.descriptor.digest);
    // A compression that failed (a file that couldn't be written) is tried again rather than failing every later pull.
    if (compression?.failure !== undefined) compression = undefined;
    if (compression === undefined && existsSync(target)) {
      compression = Object.assign(new Compression(target), { done: true, written: statSync(target).size });
    }
    if (compression === undefined) compression = this.start(blob.file, target);
    this.files.set(blob.descriptor.digest, compression);
    return compression.done ? { stream: follow(compression), size: compression.written } : { stream: follow(compression) };
  }

  private memoryBody(blob: Blob): GzipBody {
    const digest = blob.descriptor.digest;
    let compressed = this.inMemory.get(digest);
    if (compressed === undefined) {
      this.compressions++;
      compressed = promisify(gzip)(blob.bytes!, { level: GZIP_LEVEL });
      this.inMemory.set(digest, compressed);
      compressed.catch(() => this.inMemory.delete(digest));
    }
    return { stream: Readable.from((async function* () { yield await compressed; })()) };
  }

  private start(source: string, target: string): Compression {
    this.compressions++;
    const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const compression = new Compression(temporary);
    // Created now, before anyone follows it (a follower opens the file as soon as it asks).
    const fd = openSync(temporary, "w", 0o600);
    const writeAt = promisify(write);
    void (async () => {
      try {
        const plain = createReadStream(source);
        const gzipped = createGzip({ level: GZIP_LEVEL });
        plain.on("error", (error) => gzipped.destroy(error));
        for await (const chunk of plain.pipe(gzipped) as AsyncIterable<Buffer>) {
          for (let offset = 0; offset < chunk.length; ) offset += (await writeAt(fd, chunk, offset, chunk.length - offset, compression.written + offset)).bytesWritten;
          compression.written += chunk.length;
          compression.wake();
        }
      } finally {
        await promisify(close)(fd);
      }
      renameSync(temporary, target);
      compression.path = target;
    })().then(
      () => {
        compression.done = true;
        compression.wake();
      },
      (error: unknown) => {
        rmSync(temporary, { force: true });
        compression.failure = error instanceof Error ? error : new Error(String(error));
        compression.wake();
      },
    );
    return compression;
  }
}

/** The compression's bytes from the start, waiting for more while it runs. */
function follow(compression: Compression): Readable {
  // Opened now, synchronously: the file may be renamed into place at any later tick.
  const fd = openSync(compression.path, "r");
  let position = 0;
  const readAt = promisify(read);
  return new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      void (async () => {
        try {
          while (position >= compression.written && !compression.done && compression.failure === undefined) await compression.changed();
          // Its host went away while it waited: the descriptor is closed (and its number maybe another file's).
          if (this.destroyed) return;
          if (compression.failure !== undefined) throw compression.failure;
          if (position >= compression.written) return void this.push(null);
          const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, compression.written - position));
          const { bytesRead } = await readAt(fd, buffer, 0, buffer.length, position);
          position += bytesRead;
          this.push(buffer.subarray(0, bytesRead));
        } catch (error) {
          this.destroy(error as Error);
        }
      })();
    },
    destroy(error, callback) {
      close(fd, () => callback(error));
    },
  });
}

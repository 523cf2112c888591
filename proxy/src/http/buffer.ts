// A body held before forwarding: in memory up to a limit, then spilled to a temp file that
// is deleted on dispose (kamal-proxy's --buffer-memory behaviour).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export class SpillBuffer {
  private chunks: Buffer[] = [];
  private memoryBytes = 0;
  private file: { path: string; fd: number } | null = null;
  size = 0;

  constructor(private readonly memoryLimit: number) {}

  get spilled(): boolean {
    return this.file !== null;
  }

  append(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.file === null && this.memoryBytes + chunk.length <= this.memoryLimit) {
      this.chunks.push(chunk);
      this.memoryBytes += chunk.length;
      return;
    }
    if (this.file === null) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kamal-proxy-buffer-"));
      const file = path.join(dir, "body");
      this.file = { path: file, fd: fs.openSync(file, "w+", 0o600) };
      for (const held of this.chunks) fs.writeSync(this.file.fd, held);
      this.chunks = [];
      this.memoryBytes = 0;
    }
    fs.writeSync(this.file.fd, chunk);
  }

  /** The body in order, in pieces of at most 64 KiB when read back from disk. */
  *pieces(): Generator<Buffer> {
    if (this.file === null) {
      yield* this.chunks;
      return;
    }
    const piece = 64 * 1024;
    let position = 0;
    while (position < this.size) {
      const buf = Buffer.allocUnsafe(Math.min(piece, this.size - position));
      const read = fs.readSync(this.file.fd, buf, 0, buf.length, position);
      if (read <= 0) break;
      position += read;
      yield read === buf.length ? buf : buf.subarray(0, read);
    }
  }

  dispose(): void {
    this.chunks = [];
    if (this.file !== null) {
      try {
        fs.closeSync(this.file.fd);
        fs.rmSync(path.dirname(this.file.path), { recursive: true, force: true });
      } catch {
        // already gone
      }
      this.file = null;
    }
  }
}

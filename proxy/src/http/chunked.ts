// Finds where a chunked body ends (and optionally yields its data) without copying bytes:
// the proxy forwards chunked bodies verbatim and only needs to know the message boundary.

const enum State {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  FinalLf,
  Done,
}

export class ChunkedError extends Error {}

/** Bytes of extensions on one chunk-size line (Node's parser allows 16 KiB since CVE-2024-22019). */
export const MAX_CHUNK_EXTENSION = 16 * 1024;
/** Bytes of trailer fields after the last chunk: as much as a head. */
export const MAX_TRAILER = 64 * 1024;

export class ChunkedScanner {
  private state = State.Size;
  private remaining = 0;
  private sizeDigits = 0;
  /** Bytes of the current chunk extension, or of the trailer so far. */
  private sideBytes = 0;
  /** Body bytes seen so far (chunk data only). */
  dataBytes = 0;

  /**
   * Scans `buf` from `start`. Returns the index just past the end of the body when it ends
   * inside `buf`, else -1. `onData(buf, from, to)` receives the chunk-data ranges.
   */
  scan(buf: Buffer, start = 0, onData?: (buf: Buffer, from: number, to: number) => void): number {
    let i = start;
    const length = buf.length;
    while (i < length) {
      switch (this.state) {
        case State.Size: {
          const c = buf[i]!;
          const digit = hexValue(c);
          if (digit >= 0) {
            if (++this.sizeDigits > 12) throw new ChunkedError("chunk size too large");
            this.remaining = this.remaining * 16 + digit;
          } else if (this.sizeDigits === 0) {
            throw new ChunkedError("malformed chunk size");
          } else if (c === 0x0d) {
            this.state = State.SizeLf;
          } else if (c === 0x3b || c === 0x20 || c === 0x09) {
            this.state = State.Extension;
            this.sideBytes = 0;
          } else {
            throw new ChunkedError("malformed chunk size");
          }
          i++;
          break;
        }
        case State.Extension: {
          // Extensions are skipped, but bounded and free of control characters: a bare LF here
          // would end the line for a more lenient parser behind the proxy (request smuggling).
          const end = scanLine(buf, i, this.sideBytes, MAX_CHUNK_EXTENSION, "chunk extension");
          if (end === -1) {
            this.sideBytes += length - i;
            return -1;
          }
          i = end + 1;
          this.state = State.SizeLf;
          break;
        }
        case State.SizeLf:
          if (buf[i] !== 0x0a) throw new ChunkedError("malformed chunk size line");
          i++;
          this.sizeDigits = 0;
          this.sideBytes = 0;
          this.state = this.remaining === 0 ? State.TrailerStart : State.Data;
          break;
        case State.Data: {
          const take = Math.min(this.remaining, length - i);
          if (onData !== undefined) onData(buf, i, i + take);
          this.remaining -= take;
          this.dataBytes += take;
          i += take;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (buf[i] !== 0x0d) throw new ChunkedError("missing CRLF after chunk data");
          i++;
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i] !== 0x0a) throw new ChunkedError("missing CRLF after chunk data");
          i++;
          this.state = State.Size;
          break;
        case State.TrailerStart:
          if (buf[i] === 0x0d) {
            this.state = State.FinalLf;
            i++;
          } else {
            this.state = State.Trailer;
          }
          break;
        case State.Trailer: {
          const end = scanLine(buf, i, this.sideBytes, MAX_TRAILER, "trailer");
          if (end === -1) {
            this.sideBytes += length - i;
            return -1;
          }
          this.sideBytes += end + 2 - i; // with its CRLF
          i = end + 1;
          this.state = State.TrailerLf;
          break;
        }
        case State.TrailerLf:
          if (buf[i] !== 0x0a) throw new ChunkedError("malformed trailer");
          i++;
          this.state = State.TrailerStart;
          break;
        case State.FinalLf:
          if (buf[i] !== 0x0a) throw new ChunkedError("malformed last chunk");
          this.state = State.Done;
          return i + 1;
        case State.Done:
          return i;
      }
    }
    return -1;
  }
}

/**
 * Index of the CR ending a line that starts at `from` (-1 when not in `buf`), checking that the
 * line has no control character but HTAB and that `seen` + its length stays within `max`.
 */
function scanLine(buf: Buffer, from: number, seen: number, max: number, what: string): number {
  const limit = Math.min(buf.length, from + max - seen + 1);
  for (let i = from; i < limit; i++) {
    const c = buf[i]!;
    if (c === 0x0d) return i;
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw new ChunkedError(`malformed ${what}`);
  }
  if (limit < buf.length || seen + (buf.length - from) > max) throw new ChunkedError(`${what} too long`);
  return -1;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Frames one chunk. */
export function encodeChunk(data: Buffer): Buffer[] {
  return [Buffer.from(data.length.toString(16) + "\r\n", "latin1"), data, CRLF];
}

export const CRLF = Buffer.from("\r\n", "latin1");
export const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");

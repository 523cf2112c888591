// A request body on its way upstream: its framing (Content-Length or chunked, relayed verbatim),
// the bytes held until an upstream connection is ready, and the buffer when the service buffers
// requests (--buffer-requests, spilling to disk past --buffer-memory).
import { SpillBuffer } from "./buffer.js";
import { ChunkedScanner } from "./chunked.js";
import type { RequestHead } from "./head.js";
import type { UpstreamConnection } from "./upstream.js";

/** Bytes held for a connection before it stops reading (pipelined requests, bodies awaiting an upstream). */
export const MAX_QUEUED_BODY = 256 * 1024;

export class RequestBody {
  private remaining: number;
  private readonly scanner: ChunkedScanner | null;
  /** Body bytes received so far (chunk framing included). */
  bytes = 0;
  /** The last byte of the body has arrived. */
  done = false;
  /** Held until an upstream connection is ready. */
  queue: Buffer[] = [];
  private queued = 0;
  /** The whole body, when the service buffers requests. */
  buffer: SpillBuffer | null = null;
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(head: RequestHead) {
    this.scanner = head.chunked ? new ChunkedScanner() : null;
    this.remaining = head.chunked ? -1 : Math.max(head.contentLength, 0);
  }

  /** How many bytes of `chunk` belong to this body; throws ChunkedError for a malformed chunked body. */
  consume(chunk: Buffer): number {
    let used: number;
    if (this.scanner !== null) {
      const end = this.scanner.scan(chunk);
      used = end === -1 ? chunk.length : end;
      if (end !== -1) this.done = true;
    } else {
      used = Math.min(this.remaining, chunk.length);
      this.remaining -= used;
      if (this.remaining === 0) this.done = true;
    }
    this.bytes += used;
    if (this.done) this.unwatch();
    return used;
  }

  /**
   * Slow clients: calls `onStall` once a whole `ms` passes without a byte of the body, unless
   * the proxy itself stopped reading the client (backpressure from the target).
   */
  watch(ms: number, client: { isPaused(): boolean }, onStall: () => void): void {
    const seen = this.bytes;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      if (this.done) return;
      if (this.bytes > seen || client.isPaused()) this.watch(ms, client, onStall);
      else onStall();
    }, ms);
  }

  unwatch(): void {
    if (this.stallTimer !== null) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }

  /** Holds a piece for the upstream connection; true when so much is held that reading should pause. */
  enqueue(piece: Buffer): boolean {
    this.queue.push(piece);
    this.queued += piece.length;
    return this.queued > MAX_QUEUED_BODY;
  }

  takeQueue(): Buffer[] {
    const queue = this.queue;
    this.queue = [];
    this.queued = 0;
    return queue;
  }

  /** From now on the body is collected whole (what was held so far first). */
  startBuffering(memoryLimit: number): void {
    this.buffer = new SpillBuffer(memoryLimit);
    for (const piece of this.takeQueue()) this.buffer.append(piece);
  }

  disposeBuffer(): void {
    this.buffer?.dispose();
    this.buffer = null;
  }
}

/**
 * Writes the upstream head and whatever of the body is here (all of it when buffered) to a new
 * upstream connection; true when held pieces were sent (the client may be read again).
 */
export function sendRequest(connection: UpstreamConnection, head: string, body: RequestBody | null): boolean {
  const buffered = body?.buffer ?? null;
  if (buffered !== null) {
    connection.write(head, "latin1");
    for (const piece of buffered.pieces()) connection.write(piece);
    body!.disposeBuffer();
    return false;
  }
  if (body === null || body.queue.length === 0) {
    connection.write(head, "latin1");
    return false;
  }
  connection.socket.cork();
  connection.write(head, "latin1");
  for (const piece of body.takeQueue()) connection.write(piece);
  connection.socket.uncork();
  return true;
}

// A target's response on its way to the client: its head read off the upstream connection
// (informational 1xx passed on), then the body by its framing (length, chunked, until close,
// none), de-chunked for HTTP/1.0 clients, buffered when the service buffers responses
// (--buffer-responses, --max-response-body), with backpressure from the client.
import { SpillBuffer } from "./buffer.js";
import { ChunkedScanner } from "./chunked.js";
import type { Exchange } from "./exchange.js";
import { findHeadEnd, getHeader, MAX_HEAD_BYTES, parseResponseHead, type ResponseHead } from "./head.js";
import type { ClientHeadOptions } from "./rewrite.js";

const enum State {
  Head,
  Body,
  Done,
}

const enum Framing {
  None,
  Length,
  Chunked,
  UntilClose,
}

export class ResponseRelay {
  private state = State.Head;
  private headBuf: Buffer | null = null;
  private response: ResponseHead | null = null;
  private framing = Framing.None;
  private remaining = 0;
  private scanner: ChunkedScanner | null = null;
  private dechunk = false;
  private buffer: SpillBuffer | null = null;
  /** How the head goes to the client once a buffered response is complete. */
  private pendingHead: ClientHeadOptions | null = null;
  /** The client's socket is full: the upstream is paused until it drains. */
  private waitingClientDrain = false;

  constructor(private readonly exchange: Exchange) {}

  /** No final response head yet, and no part of one. */
  get nothingReceived(): boolean {
    return this.state === State.Head && this.headBuf === null;
  }

  get awaitingHead(): boolean {
    return this.state === State.Head;
  }

  /** Mid-body, and the body ends when the target closes the connection. */
  get endsAtClose(): boolean {
    return this.state === State.Body && this.framing === Framing.UntilClose;
  }

  /** Bytes from the target; `data` is borrowed (see UpstreamOwner). */
  onData(data: Buffer): void {
    if (this.state === State.Body) {
      this.onBody(Buffer.from(data));
      return;
    }
    const x = this.exchange;
    if (this.state === State.Done) {
      x.reusable = false; // bytes past the response: the connection cannot be trusted
      return;
    }
    const buf = this.headBuf === null ? data : Buffer.concat([this.headBuf, data]);
    const end = findHeadEnd(buf);
    if (end === -1) {
      if (buf.length > MAX_HEAD_BYTES) x.upstreamFailed(new Error("response head too large"), 502);
      else this.headBuf = buf === data ? Buffer.from(data) : buf;
      return;
    }
    this.headBuf = null;
    let response: ResponseHead;
    try {
      response = parseResponseHead(buf, end);
    } catch (error) {
      x.upstreamFailed(error as Error, 502);
      return;
    }
    const rest = end < buf.length ? buf.subarray(end) : null;
    if (response.status >= 100 && response.status < 200 && response.status !== 101) {
      if (x.head.minor === 1) x.conn.socket.write(Buffer.from(buf.subarray(0, end)));
      if (rest !== null) this.onData(rest);
      return;
    }
    this.response = response;
    x.responseArrived(response, rest);
  }

  /** Starts relaying the body: `rest` is what followed the head in the same read. */
  begin(rest: Buffer | null): void {
    const x = this.exchange;
    const response = this.response!;
    const status = response.status;
    if (x.head.method === "HEAD" || status === 204 || status === 304) this.framing = Framing.None;
    else if (response.chunked) this.framing = Framing.Chunked;
    else if (response.contentLength >= 0) this.framing = Framing.Length;
    else this.framing = Framing.UntilClose;
    if (!response.keepAlive) x.reusable = false;
    if (this.framing === Framing.UntilClose) {
      x.reusable = false;
      x.clientKeepAlive = false;
    }
    if (this.framing === Framing.Chunked) {
      this.scanner = new ChunkedScanner();
      if (x.head.minor === 0) {
        this.dechunk = true;
        x.clientKeepAlive = false;
      }
    }
    this.remaining = this.framing === Framing.Length ? response.contentLength : 0;
    if (x.wantsRequestBody) x.clientKeepAlive = false; // answered before the upload finished

    const options = x.service!.targetOptions;
    if (options.bufferResponses && this.framing === Framing.Length) {
      const contentType = getHeader(response, "content-type") ?? "";
      if (!contentType.startsWith("text/event-stream")) {
        if (options.maxResponseBodySize > 0 && response.contentLength > options.maxResponseBodySize) {
          x.reusable = false;
          x.upstreamFailed(new Error("response body too large"), 502);
          return;
        }
        this.buffer = new SpillBuffer(options.maxMemoryBufferSize);
      }
    }
    const headOptions: ClientHeadOptions = {
      dechunk: this.dechunk,
      keepAlive: x.clientKeepAlive,
      http10: x.head.minor === 0,
      balancer: x.balancer,
      method: x.head.method,
    };
    this.state = State.Body;
    if (this.buffer !== null) {
      this.pendingHead = headOptions;
    } else {
      x.headSent = true;
      if (rest !== null && this.framing === Framing.Length && rest.length === this.remaining) {
        // The common small response: head and whole body in one write (one syscall).
        this.remaining = 0;
        x.conn.sendResponseHead(response, headOptions, rest);
        this.complete();
        return;
      }
      x.conn.sendResponseHead(response, headOptions, null);
    }
    if (this.framing === Framing.None || (this.framing === Framing.Length && this.remaining === 0)) {
      if (rest !== null) x.reusable = false;
      this.complete();
      return;
    }
    if (rest !== null) this.onBody(Buffer.from(rest));
  }

  /** Body bytes from the target (owned: the caller copied them). */
  onBody(data: Buffer): void {
    let used = data.length;
    let done = false;
    if (this.framing === Framing.Length) {
      if (data.length >= this.remaining) {
        used = this.remaining;
        done = true;
      }
      this.remaining -= used;
    } else if (this.framing === Framing.Chunked) {
      let end: number;
      try {
        end = this.dechunk ? this.scanner!.scan(data, 0, this.writeDechunked) : this.scanner!.scan(data);
      } catch {
        this.exchange.reusable = false;
        this.exchange.upstreamFailed(new Error("malformed chunked response"), 502);
        return;
      }
      if (end !== -1) {
        used = end;
        done = true;
      }
    }
    if (used < data.length) this.exchange.reusable = false;
    if (!this.dechunk && used > 0) this.forward(used === data.length ? data : data.subarray(0, used));
    if (done) this.complete();
  }

  private readonly writeDechunked = (buf: Buffer, from: number, to: number): void => {
    if (to > from) this.forward(buf.subarray(from, to));
  };

  private forward(chunk: Buffer): void {
    const x = this.exchange;
    if (this.buffer !== null) {
      const max = x.service!.targetOptions.maxResponseBodySize;
      this.buffer.append(chunk);
      if (max > 0 && this.buffer.size > max) {
        x.reusable = false;
        x.upstreamFailed(new Error("response body too large"), 502);
      }
      return;
    }
    const upstream = x.upstream;
    if (!x.conn.socket.write(chunk) && upstream !== null) {
      this.waitingClientDrain = true;
      upstream.socket.pause();
    }
  }

  /** The client's socket drained: let the target send again. */
  onClientDrain(): void {
    if (this.waitingClientDrain) {
      this.waitingClientDrain = false;
      this.exchange.upstream?.socket.resume();
    }
  }

  /** The whole response is in: send what was buffered, and hand the upstream connection back. */
  complete(): void {
    this.state = State.Done;
    const x = this.exchange;
    const buffered = this.buffer;
    if (buffered !== null) {
      const socket = x.conn.socket;
      socket.cork();
      x.conn.sendResponseHead(this.response!, this.pendingHead!, null);
      for (const piece of buffered.pieces()) socket.write(piece);
      process.nextTick(uncork, socket);
      x.headSent = true;
      buffered.dispose();
      this.buffer = null;
    }
    if (this.dechunk) x.clientKeepAlive = false;
    const upstream = x.upstream;
    if (upstream !== null && this.waitingClientDrain) {
      this.waitingClientDrain = false;
      upstream.socket.resume();
    }
    x.responseComplete();
  }

  dispose(): void {
    this.buffer?.dispose();
    this.buffer = null;
  }
}

function uncork(socket: { uncork(): void }): void {
  socket.uncork();
}

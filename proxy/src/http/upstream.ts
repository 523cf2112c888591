// Pooled keep-alive connections to one target. Each connection hands its bytes to whichever
// exchange owns it; an idle connection that receives data or closes is dropped. New connections
// resolve the target's name through the NameResolver (off libuv's thread pool).
import net from "node:net";
import type { NameResolver } from "../server/name-resolver.js";

export interface UpstreamOwner {
  /**
   * Bytes from the target. `data` is a view of a buffer shared by every upstream connection of
   * this thread and is overwritten by the next read: owners copy whatever they keep or queue.
   */
  onUpstreamData(data: Buffer): void;
  /** The connection ended or failed while owned. */
  onUpstreamClose(error: Error | undefined): void;
  onUpstreamDrain(): void;
}

/**
 * Idle keep-alive connections kept per target. kamal-proxy keeps 100; with more concurrent
 * clients than that, every request past the 100th opened (and closed) a connection of its own:
 * 500 clients measured 0.7× the throughput of a pool this size. Targets close what they
 * don't want; the pool drops a connection as soon as it closes.
 */
export const MAX_IDLE_PER_TARGET = 1024;
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class UpstreamConnection {
  owner: UpstreamOwner | null = null;
  /** True once it has served a request: a failure before any response byte may be a stale close. */
  reused = false;
  private closed = false;
  private lastError: Error | undefined;

  /** Read callback (node's `onread`): one shared buffer, no stream machinery per chunk. */
  readonly onRead = (length: number, buffer: Buffer): boolean => {
    if (this.owner !== null) this.owner.onUpstreamData(buffer.subarray(0, length));
    else this.destroy();
    return true;
  };

  constructor(
    readonly socket: net.Socket,
    private readonly pool: UpstreamPool,
  ) {
    socket.on("drain", () => this.owner?.onUpstreamDrain());
    socket.on("error", (error: Error) => {
      this.lastError = error;
    });
    socket.on("close", () => {
      this.closed = true;
      this.pool.forget(this);
      const owner = this.owner;
      this.owner = null;
      owner?.onUpstreamClose(this.lastError ?? new Error("upstream connection closed"));
    });
    socket.on("end", () => {
      // Half-close from the target: our side closes too; the owner learns through "close".
      socket.end();
    });
  }

  get isClosed(): boolean {
    return this.closed || this.socket.destroyed;
  }

  write(data: Buffer | string, encoding: BufferEncoding = "latin1"): boolean {
    return typeof data === "string" ? this.socket.write(data, encoding) : this.socket.write(data);
  }

  release(): void {
    this.owner = null;
    this.pool.release(this);
  }

  destroy(): void {
    this.owner = null;
    if (!this.closed) this.socket.destroy();
  }
}

export class UpstreamPool {
  private idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private disposed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly resolver: NameResolver,
  ) {}

  /** An idle connection right away, or a new one once it connects. */
  acquire(
    owner: UpstreamOwner,
    callback: (error: Error | null, connection: UpstreamConnection | null) => void,
    fresh = false,
  ): void {
    while (!fresh && this.idle.length > 0) {
      const connection = this.idle.pop()!;
      if (connection.isClosed) continue;
      connection.owner = owner;
      connection.socket.resume();
      callback(null, connection);
      return;
    }
    this.resolver.lookup(this.host, (error, address) => {
      if (error !== null) callback(error, null);
      else this.connect(address, owner, callback);
    });
  }

  private connect(address: string, owner: UpstreamOwner, callback: (error: Error | null, connection: UpstreamConnection | null) => void): void {
    let connection: UpstreamConnection | null = null;
    const socket = net.connect({
      host: address,
      port: this.port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (length: number, buffer: Uint8Array): boolean => connection!.onRead(length, buffer as Buffer) },
    });
    connection = new UpstreamConnection(socket, this);
    const created = connection;
    this.all.add(created);
    const onConnectError = (error: Error): void => {
      this.resolver.forget(this.host);
      callback(error, null);
    };
    socket.once("error", onConnectError);
    socket.once("connect", () => {
      socket.removeListener("error", onConnectError);
      created.owner = owner;
      callback(null, created);
    });
  }

  release(connection: UpstreamConnection): void {
    if (connection.isClosed) return;
    if (this.disposed || this.idle.length >= MAX_IDLE_PER_TARGET) {
      connection.destroy();
      return;
    }
    connection.reused = true;
    this.idle.push(connection);
  }

  forget(connection: UpstreamConnection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
  }

  /** Closes idle connections now and every connection released later. */
  dispose(): void {
    this.disposed = true;
    for (const connection of this.idle) connection.destroy();
    this.idle = [];
  }
}

// Just enough RFC 6455 for tests: an echo endpoint for node:http servers and a raw client.
import { createHash, randomBytes } from "node:crypto";
import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export interface Frame {
  opcode: number;
  payload: Buffer;
}

/** Parses complete frames from `buf`; returns them and the unconsumed rest. */
export function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let offset = 0;
  while (buf.length - offset >= 2) {
    const opcode = buf[offset]! & 0x0f;
    const masked = (buf[offset + 1]! & 0x80) !== 0;
    let length = buf[offset + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      if (buf.length - offset < 4) break;
      length = buf.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (buf.length - offset < 10) break;
      length = Number(buf.readBigUInt64BE(offset + 2));
      header = 10;
    }
    const maskBytes = masked ? 4 : 0;
    if (buf.length - offset < header + maskBytes + length) break;
    const payload = Buffer.from(buf.subarray(offset + header + maskBytes, offset + header + maskBytes + length));
    if (masked) {
      const mask = buf.subarray(offset + header, offset + header + 4);
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
    }
    frames.push({ opcode, payload });
    offset += header + maskBytes + length;
  }
  return { frames, rest: buf.subarray(offset) };
}

export function encodeFrame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : 4;
  const out = Buffer.alloc(header + (mask ? 4 : 0) + length);
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = length;
  else {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  }
  if (mask) {
    out[1]! |= 0x80;
    const key = randomBytes(4);
    key.copy(out, header);
    for (let i = 0; i < length; i++) out[header + 4 + i] = payload[i]! ^ key[i % 4]!;
  } else {
    payload.copy(out, header);
  }
  return out;
}

/** Echoes text frames back as `<name>:<text>`; answers close frames. Returns the open sockets. */
export function attachEchoWebSocket(server: http.Server, name: string): Set<Duplex> {
  const open = new Set<Duplex>();
  server.on("upgrade", (request: http.IncomingMessage, socket: Duplex) => {
    const key = String(request.headers["sec-websocket-key"] ?? "");
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    open.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      const parsed = parseFrames(Buffer.concat([pending, chunk]));
      pending = parsed.rest;
      for (const frame of parsed.frames) {
        if (frame.opcode === 1) socket.write(encodeFrame(1, Buffer.from(`${name}:${frame.payload.toString()}`), false));
        if (frame.opcode === 8) {
          socket.end(encodeFrame(8, frame.payload, false));
        }
      }
    });
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => undefined);
  });
  return open;
}

export class TestWebSocket {
  private buffer: Buffer = Buffer.alloc(0);
  private frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      const parsed = parseFrames(Buffer.concat([this.buffer, chunk]));
      this.buffer = parsed.rest;
      this.frames.push(...parsed.frames);
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  static connect(port: number, host: string, path = "/cable", address = "127.0.0.1"): Promise<TestWebSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, address);
      const key = randomBytes(16).toString("base64");
      socket.once("connect", () =>
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`),
      );
      let head: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) return;
        socket.removeListener("data", onData);
        const status = head.subarray(0, end).toString("latin1").split("\r\n")[0]!;
        if (!status.includes(" 101 ")) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        const ws = new TestWebSocket(socket);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) socket.emit("data", rest);
        resolve(ws);
      };
      socket.on("data", onData);
      socket.once("error", reject);
    });
  }

  send(text: string): void {
    this.socket.write(encodeFrame(1, Buffer.from(text), true));
  }

  /** Next frame, or null once the connection has closed. */
  async next(timeoutMs = 5_000): Promise<Frame | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0 && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a WebSocket frame");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift() ?? null;
  }

  async echo(text: string): Promise<string> {
    this.send(text);
    const frame = await this.next();
    if (frame === null) throw new Error("WebSocket closed");
    return frame.payload.toString();
  }

  close(): void {
    this.socket.write(encodeFrame(8, Buffer.from([0x03, 0xe8]), true));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

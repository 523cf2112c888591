// OpenSSH's connection-sharing protocol (PROTOCOL.mux in OpenSSH's sources, version 4), spoken
// straight to a shared connection's control socket for the three requests Berth makes of a master:
// is it alive, forward a local unix socket to a remote one, and exit. Each would otherwise be an
// `ssh -O check|forward|exit` process, forked from the CLI's large Node process: on a 100-host
// deploy, 300 of its 500 ssh processes, and most of its main thread's time.
// Where the control socket can't be reached, or the master doesn't speak the protocol as expected,
// the caller gets `undefined` and runs the `ssh -O` command instead (which then has the last word).
import { connect, type Socket } from "node:net";

const MUX_MSG_HELLO = 0x00000001;
const MUX_C_ALIVE_CHECK = 0x10000004;
const MUX_C_TERMINATE = 0x10000005;
const MUX_C_OPEN_FWD = 0x10000006;
const MUX_S_OK = 0x80000001;
const MUX_S_PERMISSION_DENIED = 0x80000002;
const MUX_S_FAILURE = 0x80000003;
const MUX_S_ALIVE = 0x80000005;
const MUX_FWD_LOCAL = 1;
/** The "port" of a unix socket forward. */
const PORT_STREAMLOCAL = -2;
const PROTOCOL_VERSION = 4;
const REQUEST_ID = 1;

export type MuxRequest = { kind: "check" } | { kind: "exit" } | { kind: "forward"; localSocket: string; remoteSocket: string };

/** What the master answered: `ok`, or why not (as `ssh -O` would print it). */
export type MuxOutcome = { ok: true; pid?: number } | { ok: false; message: string };

/**
 * Sends one request to the master listening on `controlPath`: its answer, or `undefined` when no
 * master answered as expected (no socket, refused, another protocol version, an odd reply).
 */
export async function muxRequest(controlPath: string, request: MuxRequest, timeoutMs = 10_000): Promise<MuxOutcome | undefined> {
  let socket: Socket;
  try {
    socket = await open(controlPath, timeoutMs);
  } catch {
    return undefined;
  }
  const reader = new MessageReader(socket, timeoutMs);
  try {
    socket.write(frame(u32(MUX_MSG_HELLO), u32(PROTOCOL_VERSION)));
    const hello = await reader.next();
    if (hello === undefined || hello.readUInt32BE(0) !== MUX_MSG_HELLO || hello.readUInt32BE(4) !== PROTOCOL_VERSION) return undefined;
    socket.write(requestFrame(request));
    const reply = await reader.next();
    // A master told to exit may close the socket before its answer arrives.
    if (reply === undefined) return request.kind === "exit" ? { ok: true } : undefined;
    return outcome(reply);
  } catch {
    return undefined;
  } finally {
    socket.destroy();
  }
}

function requestFrame(request: MuxRequest): Buffer {
  switch (request.kind) {
    case "check":
      return frame(u32(MUX_C_ALIVE_CHECK), u32(REQUEST_ID));
    case "exit":
      return frame(u32(MUX_C_TERMINATE), u32(REQUEST_ID));
    case "forward":
      return frame(
        u32(MUX_C_OPEN_FWD),
        u32(REQUEST_ID),
        u32(MUX_FWD_LOCAL),
        text(request.localSocket),
        u32(PORT_STREAMLOCAL),
        text(request.remoteSocket),
        u32(PORT_STREAMLOCAL),
      );
  }
}

function outcome(reply: Buffer): MuxOutcome | undefined {
  if (reply.length < 8 || reply.readUInt32BE(4) !== REQUEST_ID) return undefined;
  const type = reply.readUInt32BE(0);
  if (type === MUX_S_OK) return { ok: true };
  if (type === MUX_S_ALIVE && reply.length >= 12) return { ok: true, pid: reply.readUInt32BE(8) };
  if (type === MUX_S_FAILURE || type === MUX_S_PERMISSION_DENIED) {
    const length = reply.length >= 12 ? reply.readUInt32BE(8) : 0;
    return { ok: false, message: reply.subarray(12, 12 + length).toString("utf8") || "refused by the master" };
  }
  return undefined;
}

function open(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => socket.destroy(new Error("timed out")), timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Reads length-prefixed messages; `undefined` once the master closes the socket. */
class MessageReader {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private waiting?: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.waiting?.();
    });
    socket.on("error", () => undefined); // seen as the close that follows
  }

  async next(): Promise<Buffer | undefined> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const length = this.buffered.readUInt32BE(0);
        if (this.buffered.length >= 4 + length) {
          const message = this.buffered.subarray(4, 4 + length);
          this.buffered = this.buffered.subarray(4 + length);
          return message;
        }
      }
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no answer from the master");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }
}

function frame(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(body.length), body]);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

function text(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  return Buffer.concat([u32(bytes.length), bytes]);
}

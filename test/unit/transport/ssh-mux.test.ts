// The control-socket requests (ssh-mux.ts) against a stand-in master speaking PROTOCOL.mux: the
// exact bytes of each request, and how each answer reads. The real master is in the integration
// tests (test/integration/transport/ssh-transport.test.ts: forwards, idle checks, close).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { muxRequest } from "../../../src/transport/ssh-mux.js";

const u32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
};
const frame = (...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(body.length), body]);
};
const text = (value: string): Buffer => Buffer.concat([u32(Buffer.byteLength(value)), Buffer.from(value)]);

/** A master that answers hello with `hello`, then the request with `answer(request)` (undefined: close). */
function master(path: string, answer: (request: Buffer) => Buffer | undefined, hello = frame(u32(1), u32(4))): Promise<{ server: Server; requests: Buffer[] }> {
  const requests: Buffer[] = [];
  const server = createServer((socket: Socket) => {
    let buffered = Buffer.alloc(0);
    let greeted = false;
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const message = buffered.subarray(4, 4 + buffered.readUInt32BE(0));
        buffered = buffered.subarray(4 + message.length);
        if (!greeted) {
          greeted = true;
          expect(message).toEqual(Buffer.concat([u32(1), u32(4)]));
          socket.write(hello);
          continue;
        }
        requests.push(Buffer.from(message));
        const reply = answer(message);
        if (reply === undefined) socket.destroy();
        else socket.write(reply);
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, requests })));
}

describe("muxRequest", () => {
  let dir: string;
  let server: Server | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-mux-"));
  });
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("checks a master: MUX_C_ALIVE_CHECK, answered with its PID", async () => {
    const path = join(dir, "master");
    const fake = await master(path, () => frame(u32(0x80000005), u32(1), u32(4242)));
    server = fake.server;
    expect(await muxRequest(path, { kind: "check" })).toEqual({ ok: true, pid: 4242 });
    expect(fake.requests).toEqual([Buffer.concat([u32(0x10000004), u32(1)])]);
  });

  it("forwards a local unix socket to a remote one, as `ssh -O forward -L local:remote` asks", async () => {
    const path = join(dir, "master");
    const fake = await master(path, () => frame(u32(0x80000001), u32(1)));
    server = fake.server;
    expect(await muxRequest(path, { kind: "forward", localSocket: "/tmp/l.sock", remoteSocket: "/var/run/docker.sock" })).toEqual({ ok: true });
    expect(fake.requests).toEqual([
      Buffer.concat([u32(0x10000006), u32(1), u32(1), text("/tmp/l.sock"), u32(0xfffffffe), text("/var/run/docker.sock"), u32(0xfffffffe)]),
    ]);
  });

  it("reports the master's refusal with its reason", async () => {
    const path = join(dir, "master");
    server = (await master(path, () => frame(u32(0x80000003), u32(1), text("Port forwarding failed")))).server;
    expect(await muxRequest(path, { kind: "forward", localSocket: "/a", remoteSocket: "/b" })).toEqual({ ok: false, message: "Port forwarding failed" });
  });

  it("takes a master that closes on exit before answering as done", async () => {
    const path = join(dir, "master");
    const fake = await master(path, () => undefined);
    server = fake.server;
    expect(await muxRequest(path, { kind: "exit" })).toEqual({ ok: true });
    expect(fake.requests).toEqual([Buffer.concat([u32(0x10000005), u32(1)])]);
  });

  it("leaves a control socket it can't reach to `ssh -O` (undefined), which says why", async () => {
    expect(await muxRequest(join(dir, "gone"), { kind: "check" })).toBeUndefined();
  });

  it("gives up (undefined: the caller runs ssh -O) on a master speaking another version or answering oddly", async () => {
    const path = join(dir, "master");
    server = (await master(path, () => frame(u32(0x80000001), u32(1)), frame(u32(1), u32(3)))).server;
    expect(await muxRequest(path, { kind: "check" })).toBeUndefined();
    await new Promise((resolve) => server!.close(resolve));
    server = (await master(path, () => frame(u32(0x80000001), u32(99)))).server;
    expect(await muxRequest(path, { kind: "check" })).toBeUndefined();
  });
});

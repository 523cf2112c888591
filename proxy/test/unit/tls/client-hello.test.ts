import { createServer, type AddressInfo, type Socket } from "node:net";
import { connect } from "node:tls";
import { describe, expect, it } from "vitest";
import { peekClientHello } from "../../../src/tls/client-hello.js";

/** The first bytes a real Node TLS client sends. */
async function captureClientHello(options: { servername?: string; ALPNProtocols?: string[]; maxVersion?: "TLSv1.2" | "TLSv1.3" }): Promise<Buffer> {
  const received = new Promise<Buffer>((resolve) => {
    const server = createServer((socket: Socket) => {
      socket.once("data", (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
        server.close();
      });
    });
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      const client = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
      client.on("error", () => undefined);
    });
  });
  return received;
}

describe("peekClientHello", () => {
  it("reads SNI and the ALPN list from a TLS 1.3 ClientHello", async () => {
    const hello = await captureClientHello({ servername: "app.example.com", ALPNProtocols: ["acme-tls/1"] });
    expect(peekClientHello(hello)).toEqual({ status: "ok", servername: "app.example.com", alpnProtocols: ["acme-tls/1"] });
  });

  it("reads a TLS 1.2 ClientHello without SNI", async () => {
    const hello = await captureClientHello({ ALPNProtocols: ["h2", "http/1.1"], maxVersion: "TLSv1.2" });
    expect(peekClientHello(hello)).toEqual({ status: "ok", servername: undefined, alpnProtocols: ["h2", "http/1.1"] });
  });

  it("asks for more bytes until the record is whole, however it is split", async () => {
    const hello = await captureClientHello({ servername: "split.example.com" });
    for (const cut of [1, 4, 5, 40, hello.length - 1]) {
      expect(peekClientHello(hello.subarray(0, cut))).toEqual({ status: "incomplete" });
    }
    expect(peekClientHello(hello)).toMatchObject({ status: "ok", servername: "split.example.com" });
  });

  it("reassembles a ClientHello fragmented over several TLS records", async () => {
    const hello = await captureClientHello({ servername: "frag.example.com", ALPNProtocols: ["acme-tls/1"] });
    const body = hello.subarray(5);
    const record = (payload: Buffer): Buffer =>
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, payload.length >> 8, payload.length & 0xff]), payload]);
    const fragmented = Buffer.concat([record(body.subarray(0, 2)), record(body.subarray(2, 100)), record(body.subarray(100))]);
    expect(peekClientHello(fragmented)).toEqual({ status: "ok", servername: "frag.example.com", alpnProtocols: ["acme-tls/1"] });
  });

  it("calls plain HTTP and truncated garbage invalid instead of waiting", () => {
    expect(peekClientHello(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))).toEqual({ status: "invalid" });
    const bogus = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, 0xff, 0xff]);
    expect(peekClientHello(bogus)).toEqual({ status: "invalid" });
  });
});

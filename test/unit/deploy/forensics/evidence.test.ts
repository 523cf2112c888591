// Parsing what the forensic round trip read about a failed container.
import { describe, expect, it } from "vitest";
import { parseContainerFacts, parseListeners, parseProbe } from "../../../../src/deploy/forensics/evidence.js";

describe("forensic evidence", () => {
  it("reads the state, restarts, healthcheck and id from containerFacts' lines", () => {
    const facts = parseContainerFacts(
      [
        JSON.stringify({ Status: "running", Running: true, Restarting: false, ExitCode: 0, StartedAt: "2026-01-01T00:00:00Z", Health: { Status: "unhealthy", Log: [{ ExitCode: 127, Output: "/bin/sh: curl: not found\n" }] } }),
        "0",
        JSON.stringify({ Test: ["CMD-SHELL", "curl -f http://localhost/up"] }),
        "3f2a1b9c0d1e4f5a6b7c",
      ].join("\n"),
    );
    expect(facts).toMatchObject({ restartCount: 0, healthcheck: ["CMD-SHELL", "curl -f http://localhost/up"], id: "3f2a1b9c0d1e4f5a6b7c" });
    expect(facts?.state.Health?.Log?.[0]?.ExitCode).toBe(127);
    expect(parseContainerFacts("null\n0\nnull\nx")).toBeUndefined();
    expect(parseContainerFacts('{"Status":"exited"}\n4\nnull\nabc')?.healthcheck).toBeUndefined();
  });

  it("decodes /proc/net/tcp addresses: IPv4, IPv6, loopback or not", () => {
    expect(
      parseListeners(["0100007F:0050", "0B00007F:9115", "00000000:1F90", "00000000000000000000000001000000:0BB8", "00000000000000000000000000000000:0016", "0000000000000000FFFF00000100007F:1389"].join("\n")),
    ).toEqual([
      { address: "127.0.0.1", port: 80, loopback: true },
      { address: "0.0.0.0", port: 8080, loopback: false },
      { address: "::1", port: 3000, loopback: true },
      { address: "::", port: 22, loopback: false },
      { address: "::ffff:127.0.0.1", port: 5001, loopback: true },
    ]);
  });

  it("reads the probe: a response with its status, Location and body, or why there was none", () => {
    expect(parseProbe("http://172.18.0.5:80/up\n0\nHTTP/1.1 301 Moved Permanently\r\nLocation: https://app.example.com/up\r\nContent-Length: 0\r\n\r\n")).toEqual({
      kind: "response",
      url: "http://172.18.0.5:80/up",
      status: 301,
      location: "https://app.example.com/up",
      body: "",
    });
    expect(parseProbe("http://172.18.0.5:80/up\n0\nHTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\nno route /up")).toMatchObject({ status: 404, body: "no route /up" });
    expect(parseProbe("http://172.18.0.5:80/up\n7\ncurl: (7) Failed to connect to 172.18.0.5 port 80 after 0 ms: Couldn't connect to server")).toEqual({ kind: "refused", url: "http://172.18.0.5:80/up", message: "connection refused" });
    expect(parseProbe("http://172.18.0.5:80/up\n28\ncurl: (28) Operation timed out after 5001 milliseconds with 0 bytes received")).toMatchObject({ kind: "timeout" });
    expect(parseProbe("http://172.18.0.5:80/up\n1\nwget: can't connect to remote host (172.18.0.5): Connection refused")).toMatchObject({ kind: "refused" });
    expect(parseProbe("http://172.18.0.5:80/up\n1\n  HTTP/1.1 500 Internal Server Error\nwget: server returned error: HTTP/1.1 500 Internal Server Error")).toMatchObject({ kind: "response", status: 500 });
    expect(parseProbe("no-client\n")).toEqual({ kind: "not probed", reason: "the host has neither curl nor wget" });
    expect(parseProbe("no-address\n")).toMatchObject({ kind: "not probed" });
  });
});

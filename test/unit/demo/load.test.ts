// The demo's request loop against a local server that changes version and fails once.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startLoad } from "../../../src/demo/load.js";

let server: Server | undefined;

afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

function serve(answer: (count: number) => [number, string]): Promise<string> {
  let count = 0;
  server = createServer((_request, response) => {
    const [status, body] = answer(++count);
    response.writeHead(status).end(body);
  });
  return new Promise((resolve) => server!.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`)));
}

const settings = { path: "/version", pauseMs: 1, maxDurationMs: 10_000, requestTimeoutMs: 2000 };

describe("the demo's request loop", () => {
  it("counts what was sent and what failed, and the versions answered in order", async () => {
    const url = await serve((count) => (count === 5 ? [502, "bad gateway"] : [200, count < 10 ? "v1\n" : "v2\n"]));
    const load = startLoad({ targets: [url], ...settings, maxRequests: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const result = await load.stop();
    expect(result.sent).toBe(20); // bounded by count
    expect(result.failed).toBe(1);
    expect(result.failures).toEqual([`${url}/version: 502`]);
    expect(result.versionsSeen).toEqual(["v1", "v2"]);
  });

  it("counts a refused connection as failed, and stops when told", async () => {
    const url = await serve(() => [200, "v1"]);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const load = startLoad({ targets: [url], ...settings, maxRequests: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const result = await load.stop();
    expect(result.sent).toBeGreaterThan(0);
    expect(result.sent).toBeLessThan(1000);
    expect(result.failed).toBe(result.sent);
    expect(result.failures[0]).toContain("ECONNREFUSED");
  });

  it("stops by itself after its time", async () => {
    const url = await serve(() => [200, "v1"]);
    const load = startLoad({ targets: [url], ...settings, maxDurationMs: 100, maxRequests: 1_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const sentAfterStop = (await load.stop()).sent;
    expect(sentAfterStop).toBeGreaterThan(0);
    expect(sentAfterStop).toBeLessThan(1_000_000);
  });
});

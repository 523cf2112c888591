// Berth's proxy control-socket client when the proxy is still starting (restarted container,
// rebooted host): the forwarded socket has nothing behind it yet, so the first call waits for
// it (bounded) with this Berth's proxy image, and falls back to `docker exec` at once otherwise.
// The server here is a stand-in answering the control protocol (POST /<command>, JSON).
import { mkdtempSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { app as appCommands } from "../../../src/commands/index.js";
import { BERTH_PROXY_TAG, type Configuration } from "../../../src/config/index.js";
import { BASE_CONFIG, harness } from "./fake.js";

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A control server that starts listening on `socket` after `delayMs` and records the commands it got. */
function controlServerLater(socket: string, delayMs: number): string[] {
  const received: string[] = [];
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      received.push(request.url ?? "");
      response.setHeader("Content-Type", "application/json");
      response.end(request.url === "/version" ? '{"ok":true,"version":"0.1.2","protocol":1}' : '{"ok":true}');
    });
  });
  servers.push(server);
  setTimeout(() => server.listen(socket), delayMs);
  return received;
}

const deployOf = (config: Configuration) => appCommands.proxy.deploy(config, config.roles[0]!, "0123456789ab");

describe("the proxy's control socket while the proxy starts", () => {
  it("waits for the socket of this Berth's proxy image, then switches through it", async () => {
    const { run, servers: fake, config } = await harness(BASE_CONFIG);
    const socket = join(mkdtempSync(join(tmpdir(), "berth-control-")), "control.sock");
    fake.forwardUnixSocket = async () => socket;
    const received = controlServerLater(socket, 600);
    const started = Date.now();
    run.services.proxyControl.openOn("10.0.0.1", { running: true, version: BERTH_PROXY_TAG, configDirectory: "/var/lib/docker/volumes/kamal-proxy-config/_data" });
    await run.batch("10.0.0.1", [deployOf(config)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(received).toEqual(["/version", "/deploy"]);
    expect(fake.commandsOn("10.0.0.1")).toEqual([]); // no docker exec
  });

  it("goes by docker exec at once for another proxy image with no socket there", async () => {
    const { run, servers: fake, config } = await harness(BASE_CONFIG);
    const socket = join(mkdtempSync(join(tmpdir(), "berth-control-")), "control.sock");
    fake.forwardUnixSocket = async () => socket;
    const started = Date.now();
    run.services.proxyControl.openOn("10.0.0.1", { running: true, version: "v0.9.2", configDirectory: "/var/lib/docker/volumes/kamal-proxy-config/_data" });
    await run.batch("10.0.0.1", [deployOf(config)]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(fake.commandsOn("10.0.0.1").join("\n")).toContain('docker exec kamal-proxy kamal-proxy deploy app-web --target="0123456789ab:80"');
  });
});

// The proxy image on a real test server, driven the way Kamal drives it: booted with Kamal's
// `docker run` line, apps deployed with `docker exec kamal-proxy kamal-proxy deploy …`.
// Two versions are switched while a bounded load loop runs: no request may fail, and a
// WebSocket opened before the switch keeps working until it closes (then the drain ends).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, REGISTRY, startTestbed, type TestHost, type Testbed } from "../../../testbed/index.js";
import { keepAliveAgent, request, sleep } from "../support/harness.js";
import { TestWebSocket } from "../support/websocket.js";

const proxyRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PROXY_IMAGE = `${REGISTRY}/berth-test/kamal-proxy:e2e`;

// A tiny app: /up → 200, / → $VERSION, WebSocket upgrades → echo "<version>:<text>".
const APP = String.raw`
const http = require("http"), crypto = require("crypto");
const version = process.env.VERSION;
const server = http.createServer((req, res) => res.end(req.url === "/up" ? "ok" : version));
server.on("upgrade", (req, socket) => {
  const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
  let buf = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 6) {
      const opcode = buf[0] & 15, len = buf[1] & 127;
      if (len > 125 || buf.length < 6 + len) break;
      const mask = buf.subarray(2, 6), payload = Buffer.from(buf.subarray(6, 6 + len));
      for (let i = 0; i < len; i++) payload[i] ^= mask[i % 4];
      buf = buf.subarray(6 + len);
      if (opcode === 8) { socket.end(Buffer.from([0x88, 0])); return; }
      const out = Buffer.from(version + ":" + payload.toString());
      socket.write(Buffer.concat([Buffer.from([0x81, out.length]), out]));
    }
  });
  socket.on("error", () => {});
});
server.listen(3000);
`;

let bed: Testbed;
let host: TestHost;

async function sh(command: string): Promise<string> {
  const result = await host.exec(command);
  if (result.code !== 0) throw new Error(`${command}\n${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}

async function startApp(version: string): Promise<string> {
  await sh(`docker run --detach --name app-web-${version} --network kamal --env VERSION=${version} --volume /root/app.js:/app.js ${REGISTRY}/berth-test/node:20 node /app.js`);
  return sh(`docker container ls --all --filter 'name=^app-web-${version}$' --quiet`);
}

const kamalDeploy = (containerId: string, drain: string): string =>
  `docker exec kamal-proxy kamal-proxy deploy app-web --target="${containerId}:3000" --deploy-timeout="30s" --drain-timeout="${drain}" ` +
  `--buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"`;

beforeAll(async () => {
  bed = await startTestbed({ hosts: 1, name: "proxy-e2e" });
  host = bed.hosts[0]!;
  await ensureBaseImages({ push: true });
  const socket = await ensureLocalDocker();
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  execFileSync(path.join(proxyRoot, "scripts/build-image.sh"), [PROXY_IMAGE, "berth-test/node:20"], { env, stdio: "ignore" });
  execFileSync("docker", ["push", "--quiet", PROXY_IMAGE], { env, stdio: "ignore" });
  await host.exec("cat > /root/app.js", { input: APP });
  await sh("docker network create kamal");
  await sh("mkdir -p /root/.kamal/proxy/apps-config");
  // Kamal 2's boot command for the proxy, with our image.
  await sh(
    `docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy ` +
      `--volume /root/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config --publish 80:80 --publish 443:443 --log-opt max-size=10m ${PROXY_IMAGE} kamal-proxy run`,
  );
});

afterAll(async () => {
  await bed?.stop();
});

describe("proxy container on a test server", () => {
  it("switches app versions with zero failed requests and drains a WebSocket gracefully", async () => {
    const v1 = await startApp("v1");
    await sh(kamalDeploy(v1, "30s"));
    const url = `http://${host.ip}/`;
    expect((await request(url)).body).toBe("v1");

    const ws = await TestWebSocket.connect(80, host.ip, "/cable", host.ip);
    expect(await ws.echo("before")).toBe("v1:before");

    const agent = keepAliveAgent();
    const failures: string[] = [];
    const seen = new Map<string, number>();
    let stop = false;
    const deadline = Date.now() + 90_000;
    const loops = Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 20_000 && !stop && Date.now() < deadline; i++) {
        try {
          const response = await request(url, { agent });
          if (response.status === 200) seen.set(response.body, (seen.get(response.body) ?? 0) + 1);
          else failures.push(`${response.status} ${response.body.slice(0, 80)}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    });

    await sleep(500);
    const v2 = await startApp("v2");
    let deployed = false;
    const deploying = host.exec(kamalDeploy(v2, "20s")).then((result) => {
      deployed = true;
      return result;
    });
    // Wait for the switch: new requests reach v2 while the WebSocket stays on v1.
    for (let i = 0; i < 100 && (await request(url)).body !== "v2"; i++) await sleep(100);
    expect((await request(url)).body).toBe("v2");
    expect(await ws.echo("during")).toBe("v1:during");
    expect(deployed).toBe(false);

    ws.close();
    const result = await deploying;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    await sleep(500);
    stop = true;
    await Promise.all(loops);
    agent.destroy();

    expect(failures).toEqual([]);
    expect(seen.get("v1") ?? 0).toBeGreaterThan(0);
    expect(seen.get("v2") ?? 0).toBeGreaterThan(0);
    const listed = await sh("docker exec kamal-proxy kamal-proxy list");
    expect(listed).toMatch(new RegExp(`app-web\\s+\\*\\s+/\\s+${v2}:3000\\s+running\\s+no`));

    // Kamal then stops the old container; the proxy keeps serving v2.
    await sh("docker stop app-web-v1");
    expect((await request(url)).body).toBe("v2");
  });

  it("keeps its routes across a container restart (state volume)", async () => {
    await sh("docker restart kamal-proxy");
    let body = "";
    for (let i = 0; i < 50; i++) {
      try {
        body = (await request(`http://${host.ip}/`)).body;
        if (body === "v2") break;
      } catch {
        // still starting
      }
      await sleep(200);
    }
    expect(body).toBe("v2");
    const version = await sh("docker exec kamal-proxy kamal-proxy version");
    expect(version).toMatch(/^Client: \d+\.\d+\.\d+\nServer: \d+\.\d+\.\d+$/);
  });
});

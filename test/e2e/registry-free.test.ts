// Deploys with `registry.server: localhost:5555` (what `kamal init` writes) on two test servers
// with no registry anywhere: the bed's registry isn't started, and no registry container runs
// here. Berth serves the app's and its proxy's images from this machine's Docker, and each host
// pulls them through its SSH connection. Checked: the hosts end in Kamal's layout (names, tags,
// image IDs), each layer compressed once for both hosts, a second deploy sends only the layer that
// changed, rollback, the errors for a missing image, a port in use on a host and a server that
// refuses forwarding, and a deploy of an image exported before served from Berth's image cache
// without `docker save`.
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { extract as tarExtract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BERTH_PROXY_TAG } from "../../src/config/index.js";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, sh, type Project } from "./support/project.js";

const IMAGE = "localhost:5555/berth-registry-free/app";
const PROXY_IMAGE = `localhost:5555/berth-registry-free/berth-proxy:${BERTH_PROXY_TAG}`;
/** A constant 8 MB layer under the app's, and the app's own layer of about 1 MB that changes with every release. */
const DOCKERFILE = `FROM berth-test/busybox:1
COPY assets.bin /assets/
COPY start.sh worker.sh release.txt payload.bin /app/
CMD ["sh", "/app/start.sh"]
`;

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;
let v1: string;
let v2: string;
/** Berth's image cache for this file's runs: empty at the start, so setup exports. */
const cacheHome = mkdtempSync(join(tmpdir(), "berth-registry-free-cache-"));
const savedCacheHome = process.env.XDG_CACHE_HOME;

beforeAll(async () => {
  process.env.XDG_CACHE_HOME = cacheHome;
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "registry-free-e2e", registry: false });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages();
  // The proxy image is built here when the hosts can't pull it: make this run build it.
  execFileSync("sh", ["-c", `docker image rm ${PROXY_IMAGE} >/dev/null 2>&1 || true`]);
  project = createProject({ bed, roles: { web: [h1, h2] }, imageAndRegistry: "image: berth-registry-free/app\nregistry:\n  server: localhost:5555" });
  v1 = project.release("v1", { Dockerfile: DOCKERFILE, "assets.bin": randomBytes(6_000_000).toString("base64"), "payload.bin": randomBytes(750_000).toString("base64") });
});

afterAll(async () => {
  await bed?.stop();
  if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCacheHome;
  rmSync(cacheHome, { recursive: true, force: true });
});

interface Sent {
  layers: number;
  /** Layer bytes as sent (gzip-compressed on the way) and the same layers uncompressed. */
  layerBytes: number;
  layerContentBytes: number;
  manifests: number;
  configs: number;
  otherBytes: number;
  total: number;
}

/** What Berth said it sent each host: `Images sent to <host> …: N layers, B bytes (U uncompressed); M manifests and C configs, X bytes; T bytes in all`. */
function sent(output: string): Map<string, Sent> {
  const counts = new Map<string, Sent>();
  const line = /Images sent to (\S+) from this machine's Docker: (\d+) layers, (\d+) bytes \((\d+) uncompressed\); (\d+) manifests and (\d+) configs, (\d+) bytes; (\d+) bytes in all/g;
  for (const match of output.matchAll(line)) {
    const [layers, layerBytes, layerContentBytes, manifests, configs, otherBytes, total] = match.slice(2).map(Number) as number[];
    counts.set(match[1]!, { layers: layers!, layerBytes: layerBytes!, layerContentBytes: layerContentBytes!, manifests: manifests!, configs: configs!, otherBytes: otherBytes!, total: total! });
  }
  return counts;
}

/**
 * The sizes of an image's layers here, by diff ID, read from `docker save` (a plain tar per
 * layer); with `gzipped`, the size of that layer compressed as a registry keeps it (gzip -6).
 */
async function layerSizes(image: string, gzipped?: Map<string, number>): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const save = spawn("docker", ["save", image], { stdio: ["ignore", "pipe", "inherit"] });
  const extract = tarExtract();
  save.stdout.pipe(extract);
  for await (const entry of extract) {
    const hash = createHash("sha256");
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (gzipped !== undefined && size < 50_000_000) chunks.push(chunk);
    }
    if (!entry.header.name.endsWith("layer.tar")) continue;
    const digest = `sha256:${hash.digest("hex")}`;
    sizes.set(digest, size);
    if (gzipped !== undefined && size < 50_000_000) gzipped.set(digest, gzipSync(Buffer.concat(chunks), { level: 6 }).length);
  }
  return sizes;
}

const localImageId = (image: string): string => execFileSync("docker", ["image", "inspect", "--format", "{{.Id}}", image], { encoding: "utf8" }).trim();

async function serves(host: TestHost, version: string): Promise<void> {
  expect(await httpGet(host, "/version")).toEqual({ status: 200, body: version });
}

describe("deploys with registry.server localhost:5555 and no registry anywhere", () => {
  it("setup delivers the app and Berth's proxy from this machine's Docker; the hosts hold them as Kamal names them", async () => {
    await expect(fetch(`http://${bed.registry}/v2/`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    const result = await berth(project, ["setup"]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain("docker push");
    for (const host of [h1, h2]) {
      await serves(host, v1);
      // Tagged as with Kamal's registry: <registry>/<image>:<version> and :latest, the same image as here.
      expect(await sh(host, `docker image inspect --format '{{.Id}}' ${IMAGE}:${v1}`)).toBe(localImageId(`${IMAGE}:${v1}`));
      expect(await sh(host, `docker image inspect --format '{{.Id}}' ${IMAGE}:latest`)).toBe(localImageId(`${IMAGE}:${v1}`));
      expect(await sh(host, "docker inspect kamal-proxy --format '{{.Config.Image}}'")).toBe(PROXY_IMAGE);
      expect(await sh(host, `docker image inspect --format '{{.Id}}' ${PROXY_IMAGE}`)).toBe(localImageId(PROXY_IMAGE));
      // The forward is gone with the connection: nothing listens on the host's port 5555 after the run.
      expect(await sh(host, "cat /proc/net/tcp")).not.toMatch(/:15B3 0+:0000 0A/);
    }
    // Every layer of both images went to each host once.
    const appLayers = await layerSizes(`${IMAGE}:${v1}`);
    const proxyLayers = await layerSizes(PROXY_IMAGE);
    const everything = [...appLayers.values(), ...proxyLayers.values()].reduce((sum, size) => sum + size, 0);
    const counts = sent(result.output);
    expect([...counts.keys()].sort()).toEqual([h1.ip, h2.ip]);
    for (const count of counts.values()) {
      expect(count.layers).toBe(new Set([...appLayers.keys(), ...proxyLayers.keys()]).size);
      expect(count.layerContentBytes).toBe(everything);
      expect(count.layerBytes).toBeLessThan(everything); // compressed on the way
      expect(count.manifests).toBe(2);
      expect(count.configs).toBe(2);
    }
    // Both hosts pulled every layer, compressed once for both.
    const distinct = new Set([...appLayers.keys(), ...proxyLayers.keys()]).size;
    expect(result.output).toContain(`Compressed ${distinct} layers once each for all the hosts (gzip)`);
    expect(result.output).toContain(`Exported image ${localImageId(`${IMAGE}:${v1}`).slice(7, 19)}`);
    console.log(`first deploy (setup): ${JSON.stringify(Object.fromEntries(counts))}; app image ${[...appLayers.values()].reduce((a, b) => a + b, 0)} bytes in ${appLayers.size} layers, proxy image ${[...proxyLayers.values()].reduce((a, b) => a + b, 0)} bytes in ${proxyLayers.size} layers`);
  });

  it("a second deploy whose image differs by one layer sends each host only that layer, its manifest and config", async () => {
    v2 = project.release("v2", { "payload.bin": randomBytes(750_000).toString("base64") });
    const result = await berth(project, ["deploy"]);
    expect(result.code, result.output).toBe(0);
    const before = await layerSizes(`${IMAGE}:${v1}`);
    const gzipped = new Map<string, number>();
    const after = await layerSizes(`${IMAGE}:${v2}`, gzipped);
    const changed = [...after].filter(([digest]) => !before.has(digest));
    expect(changed).toHaveLength(1);
    const [digest, layerSize] = changed[0]!;
    const compressed = gzipped.get(digest)!;
    expect(compressed).toBeLessThan(layerSize * 0.8); // base64 text: a layer that compresses
    const counts = sent(result.output);
    expect([...counts.keys()].sort()).toEqual([h1.ip, h2.ip]);
    for (const count of counts.values()) {
      expect(count).toMatchObject({ layers: 1, layerContentBytes: layerSize, manifests: 1, configs: 1 });
      // The layer compressed, its manifest and config, and every HTTP header: under 1% more than the compressed layer.
      expect(count.total).toBeLessThan(compressed * 1.01);
    }
    console.log(`second deploy: changed layer ${layerSize} bytes, ${compressed} gzip -6; sent ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const host of [h1, h2]) {
      await serves(host, v2);
      expect(await sh(host, `docker image inspect --format '{{.Id}}' ${IMAGE}:latest`)).toBe(localImageId(`${IMAGE}:${v2}`));
    }
  });

  it("rolls back to the first version, sending nothing", async () => {
    const result = await berth(project, ["rollback", v1]);
    expect(result.code, result.output).toBe(0);
    for (const host of [h1, h2]) await serves(host, v1);
    for (const count of sent(result.output).values()) expect(count).toMatchObject({ layers: 0, layerBytes: 0, layerContentBytes: 0 });
  });

  it("says so when this machine's Docker lacks the image, and changes nothing", async () => {
    const result = await berth(project, ["deploy", "-P", "--version", "0000000000000000000000000000000000000000"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Image ${IMAGE}:0000000000000000000000000000000000000000 is not in this machine's Docker`);
    expect((await h1.exec("test -e /root/.kamal/lock-app")).code).not.toBe(0);
    for (const host of [h1, h2]) await serves(host, v1);
  });

  it("names the host whose port 5555 is in use, and changes nothing", async () => {
    // Another ssh client's forward (another deploy, say) holds h1's port 5555.
    const other = spawn("ssh", ["-F", bed.sshConfigPath, "-N", "-R", "127.0.0.1:5555:/nonexistent.sock", h1.ip], { stdio: "ignore" });
    try {
      await sh(h1, "for i in $(seq 300); do grep -q ':15B3 00000000:0000 0A' /proc/net/tcp && exit 0; sleep 0.1; done; exit 1");
      const result = await berth(project, ["deploy"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port 5555 on ${h1.ip} is in use already, so the host can't pull from Berth there`);
      expect((await h1.exec("test -e /root/.kamal/lock-app")).code).not.toBe(0);
      for (const host of [h1, h2]) await serves(host, v1);
    } finally {
      other.kill();
    }
  });

  it("names the host whose sshd refuses forwarding (AllowTcpForwarding no)", async () => {
    const config = join(bed.workDir, h2.name, "sshd_config");
    const original = readFileSync(config, "utf8");
    appendFileSync(config, "AllowTcpForwarding no\n");
    await sh(h2, "kill -HUP $(cat /run/sshd.pid)");
    try {
      const result = await berth(project, ["deploy"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${h2.ip} refused to forward its port 5555 to this machine (ssh: remote port forwarding failed for listen port 5555)`);
      expect(result.stderr).toContain("AllowTcpForwarding yes");
      for (const host of [h1, h2]) await serves(host, v1);
    } finally {
      writeFileSync(config, original);
      await sh(h2, "kill -HUP $(cat /run/sshd.pid)");
    }
  });

  it("a deploy of an image exported before serves it from Berth's image cache: no docker save, no compression, the same bytes", async () => {
    const id = localImageId(`${IMAGE}:${v2}`);
    // v2 (deployed, then rolled back from) is gone from the hosts, as after a prune.
    for (const host of [h1, h2]) await sh(host, `docker ps -aq --filter ancestor=${IMAGE}:${v2} | xargs -r docker rm -f >/dev/null; docker image rm ${IMAGE}:${v2} >/dev/null`);
    expect(readdirSync(join(cacheHome, "berth/images"))).toContain(id.slice(7));
    const result = await berth(project, ["deploy", "-P", "--version", v2]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`Image ${id.slice(7, 19)} read from Berth's image cache, exported by an earlier run`);
    expect(result.output).not.toContain("Exported image");
    expect(result.output).not.toContain("Compressed");
    const v1Layers = await layerSizes(`${IMAGE}:${v1}`);
    const changed = [...(await layerSizes(`${IMAGE}:${v2}`))].filter(([digest]) => !v1Layers.has(digest));
    for (const count of sent(result.output).values()) {
      expect(count).toMatchObject({ layers: 1, layerContentBytes: changed[0]![1], manifests: 1, configs: 1 });
      expect(count.layerBytes).toBeLessThan(changed[0]![1]);
    }
    for (const host of [h1, h2]) {
      await serves(host, v2);
      expect(await sh(host, `docker image inspect --format '{{.Id}}' ${IMAGE}:${v2}`)).toBe(id);
    }
  });
});

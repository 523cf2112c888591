// The image delivery's parts against a real test host: images exported from this machine's Docker
// (`docker save`), served by Berth's registry on a unix socket, forwarded to the host's
// 127.0.0.1:5555 over its SSH connection, pulled by the host's own dockerd. Checked: the image
// arrives with the same ID, digests are stable from run to run, a host fetches only the layers it
// lacks (also after pulling the same image from a real registry), a forward survives its
// connection idling out, and refusals come back as RemoteForwardRefused.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cmd } from "../../../src/core/cmd.js";
import { ImageStore } from "../../../src/delivery/image-store.js";
import { dockerCli } from "../../../src/delivery/local-docker.js";
import { isDigest } from "../../../src/delivery/oci.js";
import { RegistryServer, type RegistryCatalog } from "../../../src/delivery/registry-server.js";
import { RemoteForwardRefused } from "../../../src/transport/errors.js";
import { SshTransport } from "../../../src/transport/ssh-transport.js";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../../testbed/index.js";

const REPOSITORY = "berth-delivery-it/img";
let bed: Testbed;
let host: TestHost;
let scratch: string;
const cleanups: (() => unknown)[] = [];

const docker = (...args: string[]): string => execFileSync("docker", args, { encoding: "utf8" }).trim();
const onHost = async (command: string): Promise<string> => {
  const result = await host.exec(command);
  if (result.code !== 0) throw new Error(`${command}: ${result.stdout}${result.stderr}`);
  return result.stdout.trim();
};

/** Files of random bytes, the same for every image that copies them (the build cache gives them the same layer). */
const files = new Map<string, Buffer>();

/** Builds `localhost:5555/<REPOSITORY>:<tag>` here: busybox plus one layer per file of `kilobytes` random bytes. */
function build(tag: string, layers: readonly string[], kilobytes = 300): string {
  const dir = mkdtempSync(join(scratch, "build-"));
  for (const name of layers) {
    if (!files.has(name)) files.set(name, randomBytes(kilobytes * 1024));
    writeFileSync(join(dir, name), files.get(name)!);
  }
  writeFileSync(join(dir, "Dockerfile"), ["FROM berth-test/busybox:1", ...layers.map((name) => `COPY ${name} /data/`)].join("\n"));
  const image = `localhost:5555/${REPOSITORY}:${tag}`;
  docker("build", "-q", "-t", image, dir);
  cleanups.push(() => execFileSync("sh", ["-c", `docker image rm ${image} >/dev/null 2>&1 || true`]));
  return image;
}

/** A run's registry for the host: one store, one server on a socket, the host's port 5555 forwarded to it. */
async function serve(transport: SshTransport, socketName: string): Promise<{ server: RegistryServer; store: ImageStore }> {
  const store = new ImageStore(dockerCli(process.env), { spoolParent: scratch });
  const catalog: RegistryCatalog = {
    manifest: async (repository, reference) => {
      if (repository !== REPOSITORY) return undefined;
      return isDigest(reference) ? store.manifest(reference) : (await store.image(`localhost:5555/${repository}:${reference}`))?.manifest;
    },
    blob: (repository, digest) => (repository === REPOSITORY ? store.blob(digest) : undefined),
  };
  const server = new RegistryServer(catalog);
  const socket = join(scratch, socketName);
  await server.listen(socket);
  await transport.forwardRemotePort(host.ip, 5555, socket);
  cleanups.push(() => server.close(), () => store.close());
  return { server, store };
}

function transport(options: ConstructorParameters<typeof SshTransport>[0] = {}): SshTransport {
  const made = new SshTransport({ ssh: { config: bed.sshConfigPath }, connectTimeoutSeconds: 5, ...options });
  cleanups.push(() => made.close());
  return made;
}

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 1, name: "delivery-it" });
  host = bed.hosts[0]!;
  await ensureBaseImages();
  scratch = mkdtempSync(join(tmpdir(), "berth-delivery-it-"));
});

/** Each test's transports, servers, stores and images go at its end: the next one forwards port 5555 again. */
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

afterAll(async () => {
  await bed?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("pulling from Berth's registry through the SSH connection", () => {
  it("the host pulls the image as it is here; a second image sharing all but one layer costs that layer only", async () => {
    const first = build("1", ["a.bin"]);
    const second = build("2", ["a.bin", "b.bin"]);
    const { server, store } = await serve(transport(), "pull.sock");
    await onHost(`docker pull ${first}`);
    expect(await onHost(`docker image inspect --format '{{.Id}}' ${first}`)).toBe(docker("image", "inspect", "--format", "{{.Id}}", first));
    const exported = await store.image(first);
    // Plain layers: their digests are the image's diff IDs.
    expect(exported!.layers.map((layer) => layer.descriptor.digest)).toEqual(JSON.parse(docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", first)));
    const afterFirst = server.counts();
    expect(afterFirst.layers).toBe(2);

    await onHost(`docker pull ${second}`);
    expect(await onHost(`docker image inspect --format '{{.Id}}' ${second}`)).toBe(docker("image", "inspect", "--format", "{{.Id}}", second));
    const added = (await store.image(second))!.layers.at(-1)!.descriptor.size;
    const counts = server.counts();
    expect(counts.layers - afterFirst.layers).toBe(1);
    expect(counts.layerContentBytes - afterFirst.layerContentBytes).toBe(added);
    // Random bytes don't compress: what went is the layer (gzip-framed), its manifest and config.
    expect(counts.bytesWritten - afterFirst.bytesWritten).toBeLessThan(added * 1.02 + 4000);
  });

  it("gives the same digests in another run (another export of the same image)", async () => {
    const image = build("stable", ["s.bin"], 50);
    const one = new ImageStore(dockerCli(process.env), { spoolParent: scratch });
    const two = new ImageStore(dockerCli(process.env), { spoolParent: scratch });
    try {
      const [a, b] = [await one.image(image), await two.image(image)];
      expect(a!.manifest.digest).toBe(b!.manifest.digest);
      expect(a!.manifest.bytes.equals(b!.manifest.bytes)).toBe(true);
    } finally {
      one.close();
      two.close();
    }
  });

  it("a host that pulled from a registry before: the same image costs nothing, its layers in another image are fetched once", async () => {
    const image = build("from-registry", ["r.bin"], 400);
    const inRegistry = `${bed.registry}/${REPOSITORY}:from-registry`;
    docker("tag", image, inRegistry);
    cleanups.push(() => execFileSync("sh", ["-c", `docker image rm ${inRegistry} >/dev/null 2>&1 || true`]));
    docker("push", inRegistry);
    await onHost(`docker pull ${inRegistry}`);
    const { server, store } = await serve(transport(), "registry-before.sock");
    // The host holds this very image (same ID): its Docker fetches no layer, not even the config.
    await onHost(`docker pull ${image}`);
    expect(server.counts()).toMatchObject({ manifests: 1, configs: 0, layers: 0 });
    expect(await onHost(`docker image inspect --format '{{.Id}}' ${image}`)).toBe(docker("image", "inspect", "--format", "{{.Id}}", image));
    // Another image on top of it: the host knows r.bin's layer by the registry's compressed digest
    // only, so it fetches that layer once more with the new one (busybox's it got from Berth before) …
    const next = build("from-registry-next", ["r.bin", "n.bin"], 400);
    await onHost(`docker pull ${next}`);
    const layers = (await store.image(next))!.layers;
    expect(server.counts()).toMatchObject({ layers: 2, layerContentBytes: layers.at(-2)!.descriptor.size + layers.at(-1)!.descriptor.size });
    // … and from then on knows it by Berth's digest too.
    const third = build("from-registry-third", ["r.bin", "n.bin", "t.bin"], 400);
    await onHost(`docker pull ${third}`);
    expect(server.counts().layers).toBe(3);
  });

  it("keeps the forward when the connection idles out and is opened again", async () => {
    const image = build("idle", ["i.bin"], 20);
    const idling = transport({ sshkit: { poolIdleTimeout: 2 } });
    await serve(idling, "idle.sock");
    await new Promise((resolve) => setTimeout(resolve, 4500)); // past ControlPersist: the master exits
    // The next command reopens the connection, which gets the forward again before it runs.
    const pulled = await idling.run(host.ip, cmd("docker", "pull", image));
    expect(pulled.code).toBe(0);
    expect(idling.stats().connectionsOpened).toBe(2);
  });

  it("reports a port in use on the host as RemoteForwardRefused", async () => {
    // Another ssh client's forward holds the host's port 5556.
    const other = spawn("ssh", ["-F", bed.sshConfigPath, "-N", "-R", `127.0.0.1:5556:${join(scratch, "other.sock")}`, host.ip], { stdio: "ignore" });
    try {
      await onHost("for i in $(seq 300); do grep -q ':15B4 00000000:0000 0A' /proc/net/tcp && exit 0; sleep 0.1; done; exit 1");
      const taken = transport().forwardRemotePort(host.ip, 5556, join(scratch, "nothing.sock"));
      await expect(taken).rejects.toThrow(RemoteForwardRefused);
      await expect(taken).rejects.toThrow("remote port forwarding failed for listen port 5556");
    } finally {
      other.kill();
    }
  });
});

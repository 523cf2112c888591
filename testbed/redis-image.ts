// A Redis image made the way the Node image is (no Docker Hub here): Debian's Redis server binary
// and the libraries `ldd` lists for it, on the busybox image's files. Like the official image it
// runs `redis-server` with protected mode off, in /data. For accessory tests and the demo app.
//
// Debian's redis-server package only adds a service and a link: the binary is redis-tools'
// `redis-check-rdb`, which runs as the server when it is called redis-server (Redis picks its mode
// from its own name). So either package does.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { copyBinaryWithLibraries, fillBusybox, importImage } from "./images.js";
import { acquireMachineLock } from "./lock.js";
import { ensureLocalDocker } from "./local-docker.js";
import { registryAnswers } from "./registry.js";
import { mustRun } from "./process.js";
import { REGISTRY, TESTBED_ROOT } from "./constants.js";

export const REDIS_IMAGE = "berth-test/redis:7";
const REDIS_BINARIES = ["/usr/bin/redis-server", "/usr/bin/redis-check-rdb"];

/** Builds berth-test/redis:7 once into the local dockerd; with `push`, also into a running bed's registry. */
export async function ensureRedisImage(options: { push?: boolean } = {}): Promise<string> {
  const binary = REDIS_BINARIES.find((path) => existsSync(path));
  if (binary === undefined) {
    throw new Error(`test bed: no Redis server binary (${REDIS_BINARIES.join(" or ")}); apt-get install redis-tools`);
  }
  const socket = await ensureLocalDocker();
  const lock = await acquireMachineLock(join(TESTBED_ROOT, ".images.lock"), 300_000, "building the Redis image");
  try {
    const fill = async (rootfs: string): Promise<void> => {
      await fillBusybox(rootfs);
      mkdirSync(join(rootfs, "data"));
      await copyBinaryWithLibraries(rootfs, binary, "/usr/bin/redis-server");
    };
    await importImage(socket, REDIS_IMAGE, fill, ["WORKDIR /data", "EXPOSE 6379", 'CMD ["redis-server", "--protected-mode", "no"]']);
    if (!options.push) return REDIS_IMAGE;
    if (!(await registryAnswers())) {
      throw new Error(`test bed: no registry answers on ${REGISTRY}; start a bed (startTestbed) before pushing the Redis image`);
    }
    const remote = `${REGISTRY}/${REDIS_IMAGE}`;
    const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
    await mustRun("docker", ["tag", REDIS_IMAGE, remote], { env });
    await mustRun("docker", ["push", "--quiet", remote], { env });
    return remote;
  } finally {
    await lock.release();
  }
}

// Base images made locally with `docker import` (nothing can be pulled from Docker Hub here):
// a ~1 MB busybox image (sh, httpd, wget, ...; note Debian's static busybox 1.35 crashes on
// `wget -T`, so bound waits with `timeout N wget …`) and a Node image (the machine's node binary with
// the libraries `ldd` lists, plus busybox). Built once into the local dockerd and cached there.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { acquireMachineLock } from "./lock.js";
import { ensureLocalDocker } from "./local-docker.js";
import { registryAnswers } from "./registry.js";
import { mustRun, runProcess } from "./process.js";
import { REGISTRY, TESTBED_ROOT } from "./constants.js";

export const BUSYBOX_IMAGE = "berth-test/busybox:1";
export const NODE_IMAGE = "berth-test/node:20";
/** Stored as the image comment; bump it when a recipe changes so cached images are rebuilt. */
const RECIPE = "berth-testbed-recipe-1";
const BUSYBOX = "/usr/bin/busybox"; // busybox-static: no libraries needed
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface BaseImages {
  busybox: string;
  node: string;
}

export async function ensureBaseImages(options: { push?: boolean } = {}): Promise<BaseImages> {
  const socket = await ensureLocalDocker();
  const docker = (args: string[]) => mustRun("docker", args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}` } });
  const lock = await acquireMachineLock(join(TESTBED_ROOT, ".images.lock"), 300_000, "building base images");
  try {
    for (const [tag, fill] of [[BUSYBOX_IMAGE, fillBusybox], [NODE_IMAGE, fillNode]] as const) {
      await importImage(socket, tag, fill, ['CMD ["sh"]']);
    }
    if (!options.push) return { busybox: BUSYBOX_IMAGE, node: NODE_IMAGE };
    if (!(await registryAnswers())) {
      throw new Error(`test bed: no registry answers on ${REGISTRY}; start a bed (startTestbed) before pushing base images`);
    }
    const pushed: BaseImages = { busybox: `${REGISTRY}/${BUSYBOX_IMAGE}`, node: `${REGISTRY}/${NODE_IMAGE}` };
    for (const [local, remote] of [[BUSYBOX_IMAGE, pushed.busybox], [NODE_IMAGE, pushed.node]] as const) {
      await docker(["tag", local, remote]);
      await docker(["push", "--quiet", remote]);
    }
    return pushed;
  } finally {
    await lock.release();
  }
}

/**
 * Makes `tag` in the local dockerd from a root filesystem that `fill` writes, unless an image of
 * this recipe is there already. `changes` are Dockerfile instructions (`CMD …`, `WORKDIR …`).
 */
export async function importImage(socket: string, tag: string, fill: (rootfs: string) => Promise<void>, changes: readonly string[]): Promise<void> {
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  const comment = await runProcess("docker", ["image", "inspect", "--format", "{{.Comment}}", tag], { env });
  if (comment.code === 0 && comment.stdout.trim() === RECIPE) return;
  const rootfs = mkdtempSync(join(tmpdir(), "berth-rootfs-"));
  try {
    await fill(rootfs);
    const flags = [`ENV PATH=${PATH}`, ...changes].flatMap((change) => ["-c", change]);
    const script = 'dir=$1 tag=$2; shift 2; tar -C "$dir" -c . | docker import "$@" - "$tag"';
    await mustRun("sh", ["-c", script, "sh", rootfs, tag, "-m", RECIPE, ...flags], { env });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

export async function fillBusybox(rootfs: string): Promise<void> {
  for (const dir of ["bin", "etc", "root", "tmp", "usr/bin", "var/www"]) mkdirSync(join(rootfs, dir), { recursive: true });
  chmodSync(join(rootfs, "tmp"), 0o1777);
  copyFileSync(BUSYBOX, join(rootfs, "bin/busybox"));
  chmodSync(join(rootfs, "bin/busybox"), 0o755);
  const applets = (await mustRun(BUSYBOX, ["--list"])).split("\n").filter((name) => name && name !== "busybox");
  for (const applet of applets) symlinkSync("busybox", join(rootfs, "bin", applet));
  writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  writeFileSync(join(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
}

async function fillNode(rootfs: string): Promise<void> {
  await fillBusybox(rootfs);
  await copyBinaryWithLibraries(rootfs, process.execPath, "/usr/bin/node");
}

/** Copies a binary into the root filesystem with every library `ldd` lists for it. */
export async function copyBinaryWithLibraries(rootfs: string, source: string, target: string): Promise<void> {
  copyIntoRootfs(rootfs, source, target);
  const ldd = await mustRun("ldd", [source]);
  for (const match of ldd.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)) copyIntoRootfs(rootfs, match[1]!, match[1]!);
}

function copyIntoRootfs(rootfs: string, source: string, target: string): void {
  const destination = join(rootfs, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(source, destination); // follows symlinks: the image gets the real file
  chmodSync(destination, 0o755);
}

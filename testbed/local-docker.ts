// The machine's own dockerd: the "deployer" side, where images are built and pushed. Unlike a
// bed's hosts it is shared machine state and keeps running after the tests, like a system daemon.
import { spawn } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { acquireMachineLock } from "./lock.js";
import { dockerPing } from "./host.js";
import { waitFor } from "./process.js";
import { REGISTRY, TESTBED_ROOT } from "./constants.js";

export const LOCAL_DOCKER_SOCKET = "/var/run/docker.sock";

export async function ensureLocalDocker(): Promise<string> {
  if (await usableLocalDocker()) return LOCAL_DOCKER_SOCKET;
  const lock = await acquireMachineLock(join(TESTBED_ROOT, ".local-docker.lock"), 120_000, "starting the local dockerd");
  try {
    if (await usableLocalDocker()) return LOCAL_DOCKER_SOCKET;
    const log = openSync(join(TESTBED_ROOT, ".local-dockerd.log"), "a");
    const child = spawn("dockerd", ["--insecure-registry", REGISTRY], {
      cwd: "/",
      detached: true, // its own session: a test's Ctrl-C must not take the machine's daemon down
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    child.unref();
    writeFileSync(join(TESTBED_ROOT, ".local-dockerd.pid"), `${child.pid}\n`);
    await waitFor("the local dockerd", 60_000, async () => {
      if (child.exitCode !== null) {
        throw new Error(`test bed: dockerd exited (${child.exitCode}); see ${join(TESTBED_ROOT, ".local-dockerd.log")}`);
      }
      return (await dockerPing(LOCAL_DOCKER_SOCKET)) ? true : undefined;
    });
    await usableLocalDocker();
    return LOCAL_DOCKER_SOCKET;
  } finally {
    await lock.release();
  }
}

/** True when a dockerd answers; throws if it cannot push to the bed's plain-HTTP registry. */
async function usableLocalDocker(): Promise<boolean> {
  if (!(await dockerPing(LOCAL_DOCKER_SOCKET))) return false;
  const info = JSON.parse(await dockerGet(LOCAL_DOCKER_SOCKET, "/info")) as {
    RegistryConfig?: { IndexConfigs?: Record<string, { Secure?: boolean }> };
  };
  if (info.RegistryConfig?.IndexConfigs?.[REGISTRY]?.Secure !== false) {
    throw new Error(
      `test bed: the dockerd on ${LOCAL_DOCKER_SOCKET} was started without --insecure-registry ${REGISTRY}; ` +
        `restart it with that flag (or add it to /etc/docker/daemon.json "insecure-registries")`,
    );
  }
  return true;
}

function dockerGet(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`docker ${path} timed out`)));
    req.end();
  });
}

// The bed's image registry (Distribution v2, Debian's docker-registry) on the bridge address,
// so every host and the machine's own dockerd can push and pull.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "./cleanup.js";
import { waitFor } from "./process.js";
import { REGISTRY } from "./constants.js";

export interface RunningRegistry {
  pid: number;
  /** Only for a registry this process started (a reused kept bed's is not its child). */
  exited?: Promise<void>;
}

/** `detached`: the registry runs in a session of its own and outlives this process (a kept bed). */
export async function startRegistry(workDir: string, { detached = false } = {}): Promise<RunningRegistry> {
  const dir = join(workDir, "registry");
  mkdirSync(join(dir, "data"), { recursive: true });
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${REGISTRY}`,
      "",
    ].join("\n"),
  );
  const log = openSync(join(dir, "registry.log"), "a");
  const child = spawn("docker-registry", ["serve", config], { cwd: dir, stdio: ["ignore", log, log], detached });
  closeSync(log);
  child.unref();
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error("test bed: could not start docker-registry (is the docker-registry package installed?)");
  writeFileSync(join(workDir, "registry.pid"), `${pid}\n`);
  await waitFor(`the registry on ${REGISTRY}`, 20_000, async () => {
    if (child.exitCode !== null) throw new Error(`test bed: docker-registry exited; see ${join(dir, "registry.log")}`);
    return (await registryAnswers()) ? true : undefined;
  });
  return { pid, exited };
}

/** Ends the registry process (its storage stays, for a later startRegistry). */
export async function stopRegistry(registry: RunningRegistry): Promise<void> {
  process.kill(registry.pid, "SIGCONT"); // a paused process ends on SIGTERM only once it runs again
  process.kill(registry.pid, "SIGTERM");
  const killed = setTimeout(() => process.kill(registry.pid, "SIGKILL"), 5000);
  await (registry.exited ?? waitFor("the registry to end", 10_000, async () => (isAlive(registry.pid) ? undefined : true)));
  clearTimeout(killed);
}

/**
 * Freezes (SIGSTOP) or thaws (SIGCONT) the registry process. Frozen, its listening socket stays
 * open: the kernel completes connections into the backlog, and nothing ever answers them.
 */
export function pauseRegistry(registry: RunningRegistry, paused: boolean): void {
  process.kill(registry.pid, paused ? "SIGSTOP" : "SIGCONT");
}

export async function registryAnswers(): Promise<boolean> {
  try {
    const response = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(1000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

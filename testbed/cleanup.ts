// Removal of what a bed leaves behind. Used by stop() and, before every start, for leftovers of
// an earlier bed whose test process died: its processes, namespaces, bridge, cgroups and files.
// Processes are only ever ended by PID: ones recorded in our PID files (checked against their
// command line, in case the PID was reused) and ones inside our own named network namespaces.
import { existsSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { runProcess, sleep } from "./process.js";
import { listOwnNamespaces, namespacePids, removeNetwork } from "./network.js";
import { CGROUP_PARENT_PATTERN } from "./constants.js";

export async function removeLeftovers(root: string): Promise<void> {
  await killProcesses(recordedPids(root).filter((pid) => commandLine(pid).includes(root)));
  for (const name of await listOwnNamespaces()) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const pids = await namespacePids(name);
      if (pids.length === 0) break;
      await killProcesses(pids);
    }
  }
  await removeNetwork();
  removeCgroups();
  await unmountUnder(root);
  removeBedDirectories(root);
}

export async function killProcesses(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(20);
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** PIDs in `<root>/<bed>/**.pid` files (two levels deep is all a bed writes). */
function recordedPids(root: string): number[] {
  const pids: number[] = [];
  const visit = (dir: string, depth: number): void => {
    for (const entry of safeReaddir(dir)) {
      if (entry.startsWith(".")) continue; // machine-wide files (lock, local dockerd) are not a bed's
      const path = join(dir, entry);
      if (entry.endsWith(".pid")) {
        const pid = Number(readFileSync(path, "utf8").trim());
        if (Number.isInteger(pid) && pid > 1) pids.push(pid);
      } else if (depth < 2 && isDirectory(path)) visit(path, depth + 1);
    }
  };
  visit(root, 0);
  return pids;
}

/** Empty cgroups the hosts' dockerds made for containers (cgroup v1 hierarchies and v2). */
export function removeCgroups(): void {
  const base = "/sys/fs/cgroup";
  const candidates: string[] = [];
  for (const entry of safeReaddir(base)) {
    const path = join(base, entry);
    if (CGROUP_PARENT_PATTERN.test(entry)) candidates.push(path);
    else if (isDirectory(path)) {
      for (const inner of safeReaddir(path)) if (CGROUP_PARENT_PATTERN.test(inner)) candidates.push(join(path, inner));
    }
  }
  for (const dir of candidates) removeCgroupTree(dir);
}

function removeCgroupTree(dir: string): void {
  for (const entry of safeReaddir(dir)) {
    const path = join(dir, entry);
    if (isDirectory(path)) removeCgroupTree(path);
  }
  try {
    rmdirSync(dir); // cgroupfs only allows rmdir, and only once the cgroup is empty
  } catch {
    // still busy or already gone: the next clean-up tries again
  }
}

async function unmountUnder(root: string): Promise<void> {
  const mountPoints = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mountPoints) await runProcess("umount", ["-l", point]);
}

function removeBedDirectories(root: string): void {
  for (const entry of safeReaddir(root)) {
    if (entry.startsWith(".")) continue; // the lock file and its owner note
    rmSync(join(root, entry), { recursive: true, force: true });
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return existsSync(dir) ? readdirSync(dir) : [];
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

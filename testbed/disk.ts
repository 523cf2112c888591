// A small disk for a host's /var/lib/docker (a size-limited tmpfs, mounted before the host boots),
// which tests fill up to a few megabytes to make pulls and container starts fail for want of space.
// Only ever a bed's own tmpfs is filled, never the machine's disk.
import { mustRun } from "./process.js";
import type { ProcessResult } from "./process.js";

const FILLER = "/var/lib/docker/berth-testbed-filler";

export async function mountSmallDisk(directory: string, sizeMb: number): Promise<void> {
  await mustRun("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0711`, "berth-testbed-docker", directory]);
}

type Exec = (command: string) => Promise<ProcessResult>;

/** Fills the host's small docker disk until only `leaveMb` megabytes are free. */
export async function fillDisk(exec: Exec, hostName: string, leaveMb: number): Promise<void> {
  const type = await exec("stat -f -c %T /var/lib/docker");
  if (type.stdout.trim() !== "tmpfs") {
    throw new Error(`test bed: ${hostName}'s /var/lib/docker is not the bed's small disk; start the bed with dockerDiskMb`);
  }
  const free = await exec("df -B1M --output=avail /var/lib/docker | tail -1");
  const fill = Number(free.stdout.trim()) - leaveMb;
  if (!Number.isFinite(fill)) throw new Error(`test bed: cannot read ${hostName}'s free space: ${free.stderr}`);
  if (fill <= 0) return;
  const result = await exec(`fallocate -l ${fill}M ${FILLER}.$(date +%s%N)`);
  if (result.code !== 0) throw new Error(`test bed: cannot fill ${hostName}'s disk: ${result.stderr.trim()}`);
}

/** Removes what fillDisk wrote. */
export async function freeDisk(exec: Exec): Promise<void> {
  await exec(`rm -f ${FILLER}.*`);
}

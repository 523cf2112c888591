// Runs one command and measures it from outside: wall time, the CPU time of everything it started
// (a cpuacct cgroup of its own, so daemonised children such as ssh's shared connections count
// too), and its peak RSS (GNU time's %M: the largest of the process and the children it waited for).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const CPUACCT = "/sys/fs/cgroup/cpuacct";
let sequence = 0;

/**
 * @returns {Promise<{ code: number, stdout: string, stderr: string, wallMs: number, cpuMs: number, treeCpuMs: number | undefined, maxRssKb: number }>}
 */
export async function measure(command, args, { cwd, env, timeoutMs = 600_000 } = {}) {
  const timeFile = path.join(os.tmpdir(), `berth-bench-time-${process.pid}-${++sequence}`);
  const group = fs.existsSync(CPUACCT) ? path.join(CPUACCT, `berth-bench-${process.pid}-${sequence}`) : undefined;
  if (group !== undefined) fs.mkdirSync(group);
  // The shell joins the cgroup, then becomes the command: everything it starts is counted.
  const join = group === undefined ? 'exec "$@"' : `echo $$ > ${group}/cgroup.procs && exec "$@"`;
  const started = performance.now();
  const child = spawn("/usr/bin/time", ["-f", "%U %S %M", "-o", timeFile, "sh", "-c", join, "sh", command, ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const code = await new Promise((resolve) => child.on("close", (status, signal) => resolve(status ?? (signal ? 128 : 1))));
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  const [user, system, maxRssKb] = fs.readFileSync(timeFile, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
  fs.rmSync(timeFile, { force: true });
  const treeCpuMs = group === undefined ? undefined : await drainGroup(group);
  return { code, stdout, stderr, wallMs, cpuMs: (user + system) * 1000, treeCpuMs, maxRssKb };
}

/** The group's CPU time once whatever the command left running (ssh masters closing) has exited. */
async function drainGroup(group) {
  const deadline = Date.now() + 5000;
  const members = () => fs.readFileSync(path.join(group, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  while (members().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const pid of members()) {
    try {
      process.kill(pid, "SIGKILL"); // only processes this command started
    } catch {
      // gone
    }
  }
  const usage = Number(fs.readFileSync(path.join(group, "cpuacct.usage"), "utf8")) / 1e6;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      fs.rmdirSync(group);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return usage;
}

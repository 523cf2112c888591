// A machine-wide lock held by a `flock` child process: several engineers' test files may start a
// bed at the same moment, and every bed uses the same bridge and addresses. The lock lives as long
// as the child, which exits when our end of its stdin closes, so a crashed test releases it too.
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface MachineLock {
  release(): Promise<void>;
}

export async function acquireMachineLock(file: string, timeoutMs: number, purpose: string): Promise<MachineLock> {
  mkdirSync(dirname(file), { recursive: true });
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const child = spawn("flock", ["-w", String(seconds), file, "sh", "-c", "echo locked; exec cat >/dev/null"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
  const locked = await new Promise<boolean>((resolve, reject) => {
    child.on("error", reject);
    child.stdout.once("data", () => resolve(true));
    void exited.then(() => resolve(false));
  });
  if (!locked) {
    throw new Error(`test bed: could not take ${file} within ${seconds} s; held by ${describeHolder(file)}`);
  }
  writeFileSync(`${file}.owner`, `pid ${process.pid} (${purpose}) since ${new Date().toISOString()}\n`);
  // Neither the child nor its pipes may keep the test process alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref();
  return {
    async release() {
      child.ref(); // or the wait below would leave nothing to keep the event loop alive
      child.stdin.end();
      await exited;
    },
  };
}

function describeHolder(file: string): string {
  try {
    return readFileSync(`${file}.owner`, "utf8").trim();
  } catch {
    return "an unknown process";
  }
}

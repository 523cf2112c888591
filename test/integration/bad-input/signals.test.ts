// SIGTERM and SIGINT while the configuration and the secrets load, with the real executable: the
// load stops at once (the command it runs is killed, with what that command started) and the
// exit status is 143 or 130. Before, ERB and secrets commands ran synchronously: the signal waited
// for them, and the command could then finish with status 0.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExecutable, runExecutable, type Executable } from "../../support/executable.js";

const CONFIG = `service: app
image: team/app
servers:
  - 10.0.0.1
registry:
  username: deployer
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
`;

/** A command that says it started, then waits 60 s in a child of its own (which must die too). */
const SLOW = "sleep 60 & echo $! > sleeper.pid; wait; echo done";

let executable: Executable;
const scratch = mkdtempSync(join(tmpdir(), "berth-signals-"));

beforeAll(() => {
  executable = buildExecutable("test-bundle-signals");
}, 120_000);

afterAll(() => {
  executable?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

function project(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Waits for `file` to exist (and, with `content`, to hold something). */
async function waitFor(file: string, timeoutMs: number, content = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file) || (content && readFileSync(file, "utf8").trim() === "")) {
    if (Date.now() > deadline) throw new Error(`${file} never appeared`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is gone within `timeoutMs` (a process signalled a moment ago may still be exiting). */
async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Runs `args`, sends `signal` once the slow command started, and reports how it ended. */
async function interrupt(dir: string, args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; stdout: string; afterSignalMs: number; sleeper: number }> {
  let signalledAt = 0;
  const result = await runExecutable(executable, args, {
    cwd: dir,
    env: { VERSION: "signals" },
    timeoutMs: 50_000,
    onStart: (pid) => {
      void waitFor(join(dir, "sleeper.pid"), 30_000, true).then(() => {
        signalledAt = performance.now();
        process.kill(pid, signal);
      });
    },
  });
  const sleeper = Number(readFileSync(join(dir, "sleeper.pid"), "utf8"));
  return { code: result.code, stderr: result.stderr, stdout: result.stdout, afterSignalMs: performance.now() - signalledAt, sleeper };
}

describe("signals while the configuration loads", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("%s during an ERB command in deploy.yml ends the load at once with %i, the command and its children killed", async (signal, status) => {
    const dir = project(`erb-${signal}`, { "config/deploy.yml": CONFIG.replace("service: app", `service: <%= \`${SLOW}\`.strip %>`) });
    const ended = await interrupt(dir, ["config"], signal);
    expect(ended.code).toBe(status);
    expect(ended.stdout).toBe(""); // the configuration was never printed
    // The 60 s command did not run to its end (bounded well below it, whatever the machine's load).
    expect(ended.afterSignalMs).toBeLessThan(20_000);
    expect(await gone(ended.sleeper)).toBe(true);
  });

  it("SIGTERM during a secrets command ends the read at once with 143", async () => {
    const dir = project("secrets-SIGTERM", { "config/deploy.yml": CONFIG, ".kamal/secrets": `KAMAL_REGISTRY_PASSWORD=$(${SLOW})\n` });
    const ended = await interrupt(dir, ["secrets", "print"], "SIGTERM");
    expect(ended.code).toBe(143);
    expect(ended.stdout).toBe("");
    expect(ended.afterSignalMs).toBeLessThan(20_000);
    expect(await gone(ended.sleeper)).toBe(true);
  });

  it("SIGTERM during a long parse is honoured once it ends: 143, not 0", async () => {
    // An ERB command says the load began; 45000 values (under the limits) then take a while to parse.
    const dir = project("parse-SIGTERM", { "config/deploy.yml": `# <%= %x(touch started) %>\n${CONFIG}x-padding:\n${"  - a\n".repeat(45_000)}` });
    let signalled = false;
    const result = await runExecutable(executable, ["config"], {
      cwd: dir,
      env: { VERSION: "signals" },
      timeoutMs: 50_000,
      onStart: (pid) => {
        void waitFor(join(dir, "started"), 30_000).then(() => {
          signalled = true;
          process.kill(pid, "SIGTERM");
        });
      },
    });
    expect(signalled).toBe(true);
    expect(result.code).toBe(143);
    expect(result.stdout).toBe("");
  });
});

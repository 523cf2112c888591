import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { build } from "esbuild";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redacted, cmd, shell } from "../../../src/core/cmd.js";
import { CommandFailedError } from "../../../src/transport/errors.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import type { CommandFinished, CommandOutput, CommandStarted } from "../../../src/transport/types.js";

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "berth-local-test-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every process's command line on this machine, read while a command runs. */
function allCommandLines(): string {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        return "";
      }
    })
    .join("\n");
}

describe("LocalTransport", () => {
  it("runs through sh, streams output and reports events with the redacted command", async () => {
    const events: Array<CommandStarted | CommandOutput | CommandFinished> = [];
    const transport = new LocalTransport({
      observers: [{ commandStarted: (e) => events.push(e), commandOutput: (e) => events.push(e), commandFinished: (e) => events.push(e) }],
    });
    const chunks: string[] = [];
    const result = await transport.run("localhost", cmd("echo", "hello", "&&", "echo", "warn", ">&2"), {
      onStdout: (chunk) => chunks.push(chunk),
    });
    expect(result).toMatchObject({ host: "localhost", code: 0, stdout: "hello\n", stderr: "warn\n" });
    expect(chunks.join("")).toBe("hello\n");
    const started = events[0] as CommandStarted;
    expect(started).toMatchObject({ host: "localhost", kind: "command", command: "echo hello && echo warn >&2" });
    expect(started.id).toMatch(/^[0-9a-f]{8}$/);
    expect(events.at(-1)).toMatchObject({ id: started.id, exitStatus: 0 });
    expect(events.filter((e) => "stream" in e).map((e) => (e as CommandOutput).stream).sort()).toEqual(["stderr", "stdout"]);
    expect(transport.stats()).toMatchObject({ connectionsOpened: 0, commandsRun: 1 });
  });

  it("throws SSHKit's failure text, or returns the status with allowFailure", async () => {
    const transport = new LocalTransport();
    const failing = cmd("sh", "-c", "'echo out; echo err >&2; exit 3'");
    const error = await transport.run("localhost", failing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toBe("sh -c 'echo out; echo err >&2; exit 3' exit status: 3\nsh stdout: out\nsh stderr: err");
    expect((await transport.run("localhost", failing, { allowFailure: true })).code).toBe(3);
  });

  it("passes stdin and keeps raw bytes", async () => {
    const transport = new LocalTransport();
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10]);
    const result = await transport.run("localhost", cmd("cat"), { stdin: bytes, raw: true });
    expect(result.stdoutBytes?.equals(bytes)).toBe(true);
    const withStdin = await transport.run("localhost", { parts: ["wc", "-c"], stdin: new Redacted("12345") });
    expect(withStdin.stdout.trim()).toBe("5");
  });

  it("never puts a Redacted part in any process's arguments, yet runs it", async () => {
    const transport = new LocalTransport();
    const secret = `berth-secret-${process.pid}-${Date.now()}`;
    let seen = "";
    const command = cmd(shell(cmd("sleep", "0.3")), "&&", "echo", new Redacted(secret));
    const running = transport.run("localhost", command);
    const until = Date.now() + 250;
    while (Date.now() < until) {
      seen += allCommandLines().includes(secret) ? "!" : "";
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const result = await running;
    expect(result.stdout).toBe(`${secret}\n`);
    expect(seen).toBe("");
  });

  it("stops a command at its timeout", async () => {
    const transport = new LocalTransport();
    const started = Date.now();
    const error = await transport.run("localhost", cmd("sleep", "5"), { timeoutMs: 200 }).catch((caught: unknown) => caught);
    expect((error as CommandFailedError).exitStatus).toBe(124);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("uploads atomically with the mode set before the file appears", async () => {
    const dir = tempDir();
    const transport = new LocalTransport({ cwd: dir });
    await transport.upload("localhost", new Redacted("SECRET=1\n"), "app.env", { mode: 0o640 });
    expect(readFileSync(join(dir, "app.env"), "utf8")).toBe("SECRET=1\n");
    expect(statSync(join(dir, "app.env")).mode & 0o7777).toBe(0o640);
    await transport.upload("localhost", Buffer.from("v2"), "app.env");
    expect(readFileSync(join(dir, "app.env"), "utf8")).toBe("v2");
    expect(statSync(join(dir, "app.env")).mode & 0o7777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["app.env"]); // no temporary file left behind
    expect(transport.stats()).toMatchObject({ uploads: 2, bytesUploaded: 11 });
    await expect(transport.upload("localhost", Buffer.from("x"), "missing-dir/file")).rejects.toThrow(CommandFailedError);
    expect(readdirSync(dir)).toEqual(["app.env"]);
  });

  it("stops a command and everything it started when aborted, with the abort's reason", async () => {
    const transport = new LocalTransport();
    const stop = new AbortController();
    const pids: number[] = [];
    const running = transport.run("localhost", cmd("sleep 300 & echo $!; sleep 301 & echo $!; wait"), {
      signal: stop.signal,
      onStdout: (chunk) => pids.push(...chunk.split("\n").filter(Boolean).map(Number)),
    });
    await expect.poll(() => pids.length).toBe(2);
    stop.abort(new Error("the deploy lock was refused"));
    await expect(running).rejects.toThrow("the deploy lock was refused");
    await expect.poll(() => pids.filter(alive)).toEqual([]);
  });

  it("ends a command's processes when Berth is killed (SIGKILL), and leaves a finished command's daemons alone", async () => {
    const dir = tempDir();
    // A small program that runs one command through child.ts with dieWithParent, and prints its pids.
    await build({ entryPoints: [join(import.meta.dirname, "../../../src/transport/child.ts")], bundle: true, platform: "node", format: "esm", outfile: join(dir, "child.mjs"), logLevel: "silent" });
    writeFileSync(
      join(dir, "main.mjs"),
      `import { runChild } from "./child.mjs";
await runChild({ command: "sh", args: ["-c", "sleep 299 >/dev/null 2>&1 & echo $!"], dieWithParent: true, onStdout: (text) => process.stdout.write(text) });
runChild({ command: "sh", args: ["-c", "sleep 300 & echo $!; sleep 301"], dieWithParent: true, onStdout: (text) => process.stdout.write(text) });
`,
    );
    const parent = spawn(process.execPath, [join(dir, "main.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
    let printed = "";
    parent.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    await expect.poll(() => printed.split("\n").filter(Boolean).length).toBe(2);
    const [daemon, sleeping] = printed.split("\n").filter(Boolean).map(Number) as [number, number];
    parent.kill("SIGKILL");
    await expect.poll(() => alive(sleeping), { timeout: 5000 }).toBe(false);
    expect(alive(daemon)).toBe(true);
    process.kill(daemon, "SIGKILL");
  });
});

/** Running (a zombie no one reaps yet counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

// The commands reading the configuration runs: bounded output, refusals under --plan, and the
// replay that lets them run asynchronously (so signals are handled) under synchronous code.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Secrets } from "../../../src/secrets/index.js";
import { COMMAND_OUTPUT_LIMIT, InterruptedError, replaying, runShell, runShellSync, type CommandEvent } from "../../../src/util/local-commands.js";

const scratch = mkdtempSync(join(tmpdir(), "berth-local-commands-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

describe("replaying", () => {
  it("runs each command once, in order, and gives synchronous work their results", async () => {
    const ran: string[] = [];
    let passes = 0;
    const result = await replaying<string, string, string>(
      (run) => {
        passes++;
        const first = run("one");
        return `${first}+${run(`two after ${first}`)}`;
      },
      async (command) => {
        ran.push(command);
        return command.toUpperCase();
      },
    );
    expect(result).toBe("ONE+TWO AFTER ONE");
    expect(ran).toEqual(["one", "two after ONE"]);
    expect(passes).toBe(3);
  });

  it("stops with an InterruptedError once the signal is aborted", async () => {
    const controller = new AbortController();
    const work = replaying<string, string, string>(
      (run) => run("x"),
      async () => {
        controller.abort("SIGTERM");
        return "never used";
      },
      controller.signal,
    );
    await expect(work).rejects.toThrow(new InterruptedError("SIGTERM"));
    await expect(work).rejects.toThrow("Interrupted by SIGTERM while reading the configuration");
  });
});

describe("shell commands", () => {
  it("say how they failed, and stop one printing more than the limit", async () => {
    expect(runShellSync("printf hi", { env })).toEqual({ stdout: "hi" });
    expect(runShellSync("exit 3", { env })).toEqual({ failure: "exited with status 3" });
    expect(runShellSync("kill -9 $$", { env })).toEqual({ failure: "was killed by SIGKILL" });
    expect(runShellSync(`head -c ${COMMAND_OUTPUT_LIMIT + 1} /dev/zero`, { env })).toEqual({ failure: "printed more than 1 MiB" });
    expect(await runShell("printf hi", { env })).toEqual({ stdout: "hi" });
    expect(await runShell("exit 4", { env })).toEqual({ failure: "exited with status 4" });
    expect(await runShell("yes", { env })).toEqual({ failure: "printed more than 1 MiB" });
  });

  it("are killed with what they started when the signal is aborted", async () => {
    const pidFile = join(scratch, "sleeper.pid");
    const controller = new AbortController();
    const running = runShell(`sleep 30 & echo $! > ${pidFile}; wait`, { env, signal: controller.signal });
    while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim() === "") await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort("SIGINT");
    await expect(running).rejects.toThrow("Interrupted by SIGINT");
    const sleeper = Number(readFileSync(pidFile, "utf8"));
    const deadline = Date.now() + 5_000;
    const alive = (): boolean => {
      try {
        process.kill(sleeper, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive()).toBe(false);
  });
});

describe("secrets read ahead of time", () => {
  function secretsFile(text: string): string {
    const dir = mkdtempSync(join(scratch, "project-"));
    writeFileSync(join(dir, "secrets"), text);
    return dir;
  }

  it("run their commands asynchronously, each once, and report each once", async () => {
    const cwd = secretsFile("A=$(echo one >> runs; echo a)\nB=$A-$(echo two >> runs; echo b)\nC=plain\n");
    const events: CommandEvent[] = [];
    const secrets = new Secrets({ secretsPath: "secrets", cwd, env, commands: { run: true, onCommand: (event) => events.push(event) } });
    await secrets.preload();
    expect(secrets.all()).toEqual({ A: "a", B: "a-b", C: "plain" });
    expect(readFileSync(join(cwd, "runs"), "utf8")).toBe("one\ntwo\n");
    expect(events.map((event) => `${event.key}: ${event.command} ${event.ran}`)).toEqual(["A: echo one >> runs; echo a true", "B: echo two >> runs; echo b true"]);
  });

  it("run nothing under --plan: placeholders stand for the commands' values", async () => {
    const cwd = secretsFile("A=$(touch made; echo a)\nB=literal\n");
    const secrets = new Secrets({ secretsPath: "secrets", cwd, env, commands: { run: false } });
    await secrets.preload();
    expect(secrets.get("A")).toBe("[A: $(touch …) not run: --plan runs no local command without --resolve-commands]");
    expect(secrets.get("B")).toBe("literal");
    expect(existsSync(join(cwd, "made"))).toBe(false);
  });

  it("keep a failure for the synchronous reads to report", async () => {
    const cwd = secretsFile("A=$(exit 7)\n");
    const secrets = new Secrets({ secretsPath: "secrets", cwd, env });
    await secrets.preload();
    expect(() => secrets.get("A")).toThrow("Command substitution $(exit …) for A in secrets failed (exit status 7)");
  });
});

import { describe, expect, it } from "vitest";
import { Redacted, cmd } from "../../../src/core/cmd.js";
import { createOutput, Output, wantsLiveView, type Verbosity } from "../../../src/output/index.js";
import { BerthError } from "../../../src/util/errors.js";
import { MemoryStream } from "./streams.js";

function textOutput(verbosity: Verbosity = "info") {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const output = new Output({ stdout, stderr, verbosity, format: "text", color: false });
  return { output, stdout, stderr };
}

function jsonOutput(verbosity: Verbosity = "info") {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const output = new Output({
    stdout,
    stderr,
    verbosity,
    format: "json",
    color: true,
    now: () => new Date("2026-01-02T03:04:05.000Z"),
  });
  const events = () => stdout.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { output, stdout, stderr, events };
}

function runCommand(output: Output, options: { level?: "debug" | "info"; exitStatus?: number; data?: string[] } = {}): void {
  output.commandStarted({ id: "a1b2c3d4", host: "1.1.1.1", command: cmd("docker", "ps"), level: options.level ?? "info" });
  for (const data of options.data ?? []) output.commandOutput({ id: "a1b2c3d4", host: "1.1.1.1", stream: "stdout", chunk: data });
  output.commandFinished({ id: "a1b2c3d4", host: "1.1.1.1", exitStatus: options.exitStatus ?? 0, durationMs: 152 });
}

describe("Output, text", () => {
  it("prints Running and Finished lines at INFO", () => {
    const { output, stdout } = textOutput();
    runCommand(output, { data: ["CONTAINER ID\n"] });
    expect(stdout.lines).toEqual([
      "  INFO [a1b2c3d4] Running docker ps on 1.1.1.1",
      "  INFO [a1b2c3d4] Finished in 0.152 seconds with exit status 0 (successful).",
    ]);
  });

  it("with -v adds the Command line and every output line, partial lines joined", () => {
    const { output, stdout } = textOutput("debug");
    output.commandStarted({
      id: "a1b2c3d4",
      host: "1.1.1.1",
      command: cmd("docker", "ps"),
      wrapped: cmd("(", "export", 'K="v"', ";", "docker", "ps", ")"),
    });
    output.commandOutput({ id: "a1b2c3d4", host: "1.1.1.1", stream: "stdout", chunk: "line one\nline " });
    output.commandOutput({ id: "a1b2c3d4", host: "1.1.1.1", stream: "stderr", chunk: "warning\n" });
    output.commandOutput({ id: "a1b2c3d4", host: "1.1.1.1", stream: "stdout", chunk: "two" });
    output.commandFinished({ id: "a1b2c3d4", host: "1.1.1.1", exitStatus: 0, durationMs: 1000 });
    expect(stdout.lines).toEqual([
      "  INFO [a1b2c3d4] Running docker ps on 1.1.1.1",
      ' DEBUG [a1b2c3d4] Command: ( export K="v" ; docker ps )',
      " DEBUG [a1b2c3d4] \tline one",
      " DEBUG [a1b2c3d4] \twarning",
      " DEBUG [a1b2c3d4] \tline two",
      "  INFO [a1b2c3d4] Finished in 1.000 seconds with exit status 0 (successful).",
    ]);
  });

  it("hides debug-level commands (audit, lock) unless -v", () => {
    const quietish = textOutput("info");
    runCommand(quietish.output, { level: "debug" });
    expect(quietish.stdout.text).toBe("");
    const verbose = textOutput("debug");
    runCommand(verbose.output, { level: "debug" });
    expect(verbose.stdout.lines[0]).toBe(" DEBUG [a1b2c3d4] Running docker ps on 1.1.1.1");
  });

  it("with -q prints errors only, plus say lines and host output as Kamal does", () => {
    const { output, stdout } = textOutput("error");
    runCommand(output);
    output.info("Following logs on 1.1.1.1...");
    output.warn("careful");
    output.error("broken");
    output.say("Acquiring the deploy lock...");
    output.putsByHost("1.1.1.1", "v123");
    expect(stdout.lines).toEqual([" ERROR broken", "Acquiring the deploy lock...", "v123"]);
  });

  it("prints say lines without a prefix, in magenta when coloured", () => {
    const { output, stdout } = textOutput();
    output.say("Acquiring the deploy lock...");
    expect(stdout.text).toBe("Acquiring the deploy lock...\n");
    const colored = new MemoryStream();
    new Output({ stdout: colored, stderr: new MemoryStream(), color: true }).say("Build and push app image...");
    expect(colored.text).toBe("\u001b[35mBuild and push app image...\u001b[39m\n");
  });

  it("prints puts_by_host blocks", () => {
    const { output, stdout } = textOutput();
    output.putsByHost("1.1.1.1", "app-web-abc", { type: "App" });
    output.putsByHost("1.1.1.2", "proxy", { type: "Proxy" });
    expect(stdout.text).toBe("App Host: 1.1.1.1\napp-web-abc\n\nProxy Host: 1.1.1.2\nproxy\n\n");
  });

  it("takes the transport's events as they are: pre-rendered command text, chunks, durations", () => {
    const { output, stdout } = textOutput("debug");
    output.connectionOpened({ host: "1.1.1.1", durationMs: 42 });
    output.commandStarted({ id: "0000beef", host: "1.1.1.1", kind: "upload", command: "upload .kamal/apps/app/env/roles/web.env" });
    output.commandFinished({ id: "0000beef", host: "1.1.1.1", exitStatus: 255, durationMs: 3001, connectionError: "Connection refused" });
    output.connectionFailed({ host: "1.1.1.2", durationMs: 5, message: "Connection refused" });
    expect(stdout.lines).toEqual([
      " DEBUG Connected to 1.1.1.1 in 0.042 seconds",
      "  INFO [0000beef] Running upload .kamal/apps/app/env/roles/web.env on 1.1.1.1",
      " DEBUG [0000beef] Command: upload .kamal/apps/app/env/roles/web.env",
      "  INFO [0000beef] Finished in 3.001 seconds with exit status 255 (failed).",
      " DEBUG Connection to 1.1.1.2 failed after 0.005 seconds: Connection refused",
    ]);
  });

  it("always shows commands redacted", () => {
    const { output, stdout } = textOutput();
    output.commandStarted({
      id: "00000001",
      host: "h",
      command: cmd("docker", "login", "-u", new Redacted("user"), "-p", new Redacted("hunter22")),
    });
    expect(stdout.text).toContain("Running docker login -u [REDACTED] -p [REDACTED] on h");
    expect(stdout.text).not.toContain("hunter22");
  });

  it("reports a BerthError as Kamal does, on stderr, without a stack unless verbose", () => {
    const { output, stdout, stderr } = textOutput();
    output.reportError(new BerthError("Deploy lock found", "Kamal::Cli::LockError"), { verbose: false });
    expect(stderr.text).toBe("  ERROR (Kamal::Cli::LockError): Deploy lock found\n");
    expect(stdout.text).toBe("");
    const verbose = textOutput();
    verbose.output.reportError(new BerthError("Deploy lock found"), { verbose: true });
    expect(verbose.stderr.lines[0]).toBe("  ERROR (Berth::Error): Deploy lock found");
    expect(verbose.stderr.lines[1]).toMatch(/^\s+at /);
  });

  it("names a host failure by its cause, as bin/kamal does", () => {
    const { output, stderr } = textOutput();
    const failed = new BerthError("docker exit status: 1", "SSHKit::Command::Failed");
    const onHost = new BerthError("Exception while executing on host 1.1.1.1: docker exit status: 1", "SSHKit::Runner::ExecuteError");
    onHost.cause = failed;
    output.reportError(onHost, { verbose: false });
    expect(stderr.text).toBe("  ERROR (SSHKit::Command::Failed): Exception while executing on host 1.1.1.1: docker exit status: 1\n");
  });

  it("reports other errors (bugs) with their stack", () => {
    const { output, stderr } = textOutput();
    output.reportError(new TypeError("x is undefined"), { verbose: false });
    expect(stderr.lines[0]).toBe("  ERROR (TypeError): x is undefined");
    expect(stderr.lines.slice(1).every((line) => /^\s+at /.test(line))).toBe(true);
    expect(stderr.lines.length).toBeGreaterThan(1);
  });
});

describe("Output, the secret safety net", () => {
  it("masks registered secret values in command output, say lines, host output and errors", () => {
    const { output, stdout, stderr } = textOutput("debug");
    output.registerSecrets(["hunter2-password"]);
    runCommand(output, { data: ["DB_PASSWORD=hunter2-password\n"] });
    output.say("Using hunter2-password");
    output.putsByHost("h", "pw: hunter2-password");
    output.print("plain hunter2-password");
    output.reportError(new BerthError("bad hunter2-password"), { verbose: false });
    expect(stdout.text).not.toContain("hunter2-password");
    expect(stderr.text).not.toContain("hunter2-password");
    expect(stdout.text).toContain("\tDB_PASSWORD=[REDACTED]");
    expect(stdout.text).toContain("Using [REDACTED]");
    expect(stdout.text).toContain("pw: [REDACTED]");
    expect(stderr.text).toContain("bad [REDACTED]");
  });

  it("masks in JSON events too", () => {
    const { output, stdout, events } = jsonOutput("debug");
    output.registerSecret('quote"d-secret');
    runCommand(output, { data: ['value quote"d-secret\n'] });
    expect(stdout.text).not.toContain("quote");
    expect(events().find((event) => event.event === "command.output")?.line).toBe("value [REDACTED]");
  });

  it("writes secret values only through revealSecrets and raw", () => {
    const { output, stdout } = textOutput();
    output.registerSecret("hunter2-password");
    output.revealSecrets("DB_PASSWORD=hunter2-password");
    output.raw(Buffer.from("raw hunter2-password"));
    expect(stdout.text).toBe("DB_PASSWORD=hunter2-password\nraw hunter2-password");
  });
});

describe("Output, JSON events", () => {
  it("writes one event per line with ts, event, host, id, command, status and seconds", () => {
    const { output, events } = jsonOutput();
    output.say("Acquiring the deploy lock...");
    runCommand(output, { exitStatus: 1 });
    output.putsByHost("1.1.1.1", "v1");
    output.reportError(new BerthError("boom"), { verbose: false });
    expect(events()).toEqual([
      { ts: "2026-01-02T03:04:05.000Z", event: "say", message: "Acquiring the deploy lock..." },
      { ts: "2026-01-02T03:04:05.000Z", event: "command.start", host: "1.1.1.1", id: "a1b2c3d4", command: "docker ps", level: "info" },
      {
        ts: "2026-01-02T03:04:05.000Z",
        event: "command.finish",
        host: "1.1.1.1",
        id: "a1b2c3d4",
        command: "docker ps",
        status: 1,
        seconds: 0.152,
        successful: false,
      },
      { ts: "2026-01-02T03:04:05.000Z", event: "host.output", host: "1.1.1.1", type: "App", output: "v1" },
      { ts: "2026-01-02T03:04:05.000Z", event: "error", kind: "Berth::Error", message: "boom" },
    ]);
  });

  it("has no colour codes even when colours were asked for", () => {
    const { output, stdout } = jsonOutput();
    output.say("hello");
    runCommand(output);
    expect(stdout.text).not.toContain("\u001b[");
  });

  it("prints result documents as a single JSON line", () => {
    const { output, stdout } = jsonOutput();
    output.data("0.1.0", { version: "0.1.0" });
    expect(stdout.text).toBe('{"version":"0.1.0"}\n');
  });
});

describe("createOutput", () => {
  const base = { verbosity: "info" as const, format: "text" as const };

  it("uses plain lines, not the live view, when stdout is not a terminal", async () => {
    const stdout = new MemoryStream({ isTTY: false });
    const output = await createOutput({ ...base, stdout: stdout as never, stderr: new MemoryStream(), env: {} });
    expect(output.isLive).toBe(false);
    runCommand(output);
    expect(stdout.lines[0]).toBe("  INFO [a1b2c3d4] Running docker ps on 1.1.1.1");
  });

  it("uses the live view on a terminal, but not in CI, with -v or for JSON", async () => {
    const tty = new MemoryStream({ isTTY: true, columns: 100 });
    const live = await createOutput({ ...base, stdout: tty as never, stderr: new MemoryStream(), env: {} });
    expect(live.isLive).toBe(true);
    live.close();
    expect(wantsLiveView({ ...base, stdout: tty as never, env: { CI: "true" } })).toBe(false);
    expect(wantsLiveView({ ...base, verbosity: "debug", stdout: tty as never, env: {} })).toBe(false);
    expect(wantsLiveView({ ...base, format: "json", stdout: tty as never, env: {} })).toBe(false);
    expect(wantsLiveView({ ...base, stdout: tty as never, env: {} })).toBe(true);
    expect(wantsLiveView({ ...base, stdout: Object.assign(new MemoryStream({ isTTY: true }), { rows: 0 }) as never, env: {} })).toBe(false);
  });

  it("honours NO_COLOR and FORCE_COLOR", async () => {
    const piped = new MemoryStream();
    const forced = await createOutput({ ...base, stdout: piped as never, stderr: new MemoryStream(), env: { FORCE_COLOR: "1" } });
    forced.say("x");
    expect(piped.text).toBe("\u001b[35mx\u001b[39m\n");
    const tty = new MemoryStream({ isTTY: true });
    const none = await createOutput({ ...base, verbosity: "debug", stdout: tty as never, stderr: new MemoryStream(), env: { NO_COLOR: "1" } });
    none.say("y");
    expect(tty.text).toBe("y\n");
  });
});

// What a run prints: batches as their steps (markers hidden), debug-level audit/lock commands,
// and the finish line / JSON event with the connection and command counts.
import { describe, expect, it } from "vitest";
import { DisplayBridge } from "../../../src/deploy/display.js";
import { reportFinish, timed } from "../../../src/deploy/finish.js";
import { Output } from "../../../src/output/index.js";
import { MemoryStream } from "../output/streams.js";
import { BASE_CONFIG, harness } from "./fake.js";

describe("DisplayBridge", () => {
  it("shows a batch as its steps and hides the marker lines of its output", () => {
    const stdout = new MemoryStream();
    const bridge = new DisplayBridge(new Output({ stdout, stderr: new MemoryStream(), verbosity: "debug" }));
    bridge.expect("h1", "SCRIPT", { level: "info", shown: "docker pull x ; docker inspect x", hideLinesWith: "__berth_batch_ab__" });
    bridge.commandStarted({ id: "0000aaaa", host: "h1", kind: "command", command: "SCRIPT" });
    bridge.commandOutput({ id: "0000aaaa", host: "h1", stream: "stdout", chunk: "__berth_batch_ab__ 0 begin\nPulling from x\n\n__berth_ba" });
    bridge.commandOutput({ id: "0000aaaa", host: "h1", stream: "stdout", chunk: "tch_ab__ 0 end 0\ndone\n" });
    bridge.commandFinished({ id: "0000aaaa", host: "h1", kind: "command", command: "SCRIPT", exitStatus: 0, durationMs: 12 });
    // eslint-disable-next-line no-control-regex -- stripping ANSI colours
    const text = stdout.text.replace(/\x1b\[[0-9;]*m/g, "");
    expect(text).toContain("Running docker pull x ; docker inspect x on h1");
    expect(text).toContain("Command: SCRIPT");
    expect(text).toContain("\tPulling from x");
    expect(text).toContain("\tdone");
    expect(text).not.toContain("__berth_batch");
  });

  it("logs debug-level commands only with -v", () => {
    const stdout = new MemoryStream();
    const bridge = new DisplayBridge(new Output({ stdout, stderr: new MemoryStream(), verbosity: "info" }));
    bridge.expect("h1", "rm .kamal/lock-app/details", { level: "debug" });
    bridge.commandStarted({ id: "0000bbbb", host: "h1", kind: "command", command: "rm .kamal/lock-app/details" });
    bridge.commandFinished({ id: "0000bbbb", host: "h1", kind: "command", command: "rm .kamal/lock-app/details", exitStatus: 0, durationMs: 3 });
    bridge.commandStarted({ id: "0000cccc", host: "h1", kind: "command", command: "docker ps" });
    expect(stdout.text).not.toContain("lock-app");
    expect(stdout.text).toContain("docker ps");
  });
});

describe("finish", () => {
  it("prints Kamal's line, and the counts with -v", async () => {
    const { run, stdout } = await harness(BASE_CONFIG, { globals: { verbose: true } });
    await timed(run, async () => {
      await run.exec("10.0.0.1", { parts: ["true"] });
      await run.exec("10.0.0.2", { parts: ["true"] });
    });
    expect(stdout.text).toMatch(/ {2}Finished all in \d+\.\d seconds\n/);
    expect(stdout.text).toContain("2 SSH connections, 2 remote commands (10.0.0.1: 1/1, 10.0.0.2: 1/1)");
  });

  it("is a JSON `finish` event with --output json, also when the work failed", async () => {
    const { run, stdout } = await harness(BASE_CONFIG);
    const json = new Output({ stdout, stderr: new MemoryStream(), format: "json" });
    Object.defineProperty(run, "output", { value: json });
    await run.exec("10.0.0.1", { parts: ["true"] });
    reportFinish(run, false);
    const event = JSON.parse(stdout.text.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(event).toMatchObject({ event: "finish", ok: false, connections: 1, commands: 1 });
    expect(typeof event.seconds).toBe("number");
  });
});

import { describe, expect, it } from "vitest";
import { cmd } from "../../../src/core/cmd.js";
import { createColors } from "../../../src/output/colors.js";
import { LiveView, type LiveRenderer } from "../../../src/output/live.js";
import { Output } from "../../../src/output/index.js";
import { MemoryStream } from "./streams.js";

/** Records what log-update would draw: the live frame, and what was persisted above it. */
function fakeRenderer() {
  const state = { frame: "", persisted: [] as string[], done: false };
  const renderer = Object.assign((text: string) => void (state.frame = text), {
    clear: () => void (state.frame = ""),
    done: () => void (state.done = true),
    persist: (text: string) => {
      state.frame = "";
      state.persisted.push(text);
    },
  }) satisfies LiveRenderer;
  return { renderer, state };
}

function liveOutput(width = 80) {
  const { renderer, state } = fakeRenderer();
  let now = 0;
  const live = new LiveView({ renderer, colors: createColors(false), width: () => width, clock: () => now, tickMs: 0 });
  const stdout = new MemoryStream({ isTTY: true });
  const output = new Output({ stdout, stderr: new MemoryStream(), live });
  return { output, live, state, stdout, advance: (ms: number) => (now += ms) };
}

describe("live view", () => {
  it("shows one line per host with its current command and elapsed time", () => {
    const { output, live, state, advance } = liveOutput();
    output.commandStarted({ id: "00000001", host: "10.0.0.1", command: cmd("docker", "pull", "app:v1") });
    advance(1500);
    output.commandStarted({ id: "00000002", host: "10.0.0.22", command: cmd("docker", "pull", "app:v1") });
    expect(state.frame.split("\n")[0]).toMatch(/ 1\.5s$/); // drawn on every event
    advance(500);
    const lines = live.frame().split("\n"); // what the next timer tick draws
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ {2}\S 10\.0\.0\.1 {3}pull: docker pull app:v1 {2}2\.0s$/);
    expect(lines[1]).toMatch(/^ {2}\S 10\.0\.0\.22 {2}pull: docker pull app:v1 {2}0\.5s$/);
  });

  it("collapses a host whose commands finished into a summary, and marks failures", () => {
    const { output, state, advance } = liveOutput();
    output.commandStarted({ id: "00000001", host: "h1", command: cmd("docker", "ps") });
    output.commandStarted({ id: "00000002", host: "h2", command: cmd("docker", "pull", "x") });
    advance(1200);
    output.commandFinished({ id: "00000001", host: "h1", exitStatus: 0, durationMs: 1200 });
    output.commandFinished({ id: "00000002", host: "h2", exitStatus: 1, durationMs: 1200 });
    expect(state.frame.split("\n")).toEqual(["  ✓ h1  1 command in 1.2s", "  ✗ h2  docker pull x  exit status 1"]);
  });

  it("keeps phase headings and printed text above the view, and never prints Running lines", () => {
    const { output, state, stdout } = liveOutput();
    output.say("Ensure kamal-proxy is running...");
    output.commandStarted({ id: "00000001", host: "h1", command: cmd("docker", "ps") });
    output.commandFinished({ id: "00000001", host: "h1", exitStatus: 0, durationMs: 0 });
    output.say("Detect stale containers...");
    output.putsByHost("h1", "nothing stale");
    output.close();
    expect(state.persisted).toEqual([
      "Ensure kamal-proxy is running...",
      "  ✓ h1  1 command in 0.0s\nDetect stale containers...",
      "App Host: h1\nnothing stale\n",
    ]);
    expect(state.done).toBe(true);
    expect(stdout.text).toBe("");
  });

  it("truncates long commands to the terminal width", () => {
    const { output, state } = liveOutput(40);
    output.commandStarted({ id: "00000001", host: "h1", command: cmd("docker", "run", "--detach", "--name", "a-very-long-container-name") });
    const line = state.frame;
    expect(line.length).toBeLessThanOrEqual(40);
    expect(line).toContain("…");
  });

  it("leaves the final table on screen when closed", () => {
    const { output, state } = liveOutput();
    output.commandStarted({ id: "00000001", host: "h1", command: cmd("docker", "ps") });
    output.commandFinished({ id: "00000001", host: "h1", exitStatus: 0, durationMs: 0 });
    output.close();
    expect(state.persisted.at(-1)).toBe("  ✓ h1  1 command in 0.0s");
  });
});

describe("live view of long steps", () => {
  it("names build, push, pull and the proxy's health wait, and shows a long step's latest output line under it", () => {
    const { output, state, advance } = liveOutput();
    output.commandStarted({ id: "00000001", host: "localhost", command: cmd("docker", "build", "-t", "app:v2", ".") });
    output.commandStarted({ id: "00000002", host: "10.0.0.1", command: "kamal-proxy deploy app-web --target=abc:80" });
    output.commandStarted({ id: "00000003", host: "10.0.0.22", command: cmd("docker", "ps") });
    output.commandOutput({ id: "00000001", host: "localhost", stream: "stdout", chunk: "Step 1/5 : FROM node\nStep 2/5 : COPY . .\n ---> Running in 0123abcd\n" });
    output.commandOutput({ id: "00000003", host: "10.0.0.22", stream: "stdout", chunk: "CONTAINER ID\n" });
    advance(2500);
    output.commandOutput({ id: "00000001", host: "localhost", stream: "stdout", chunk: "\nlayer 3: Downloading 40%\r\x1b[1mlayer 3: Downloading 90%\x1b[0m\n" });
    expect(state.frame.split("\n")).toEqual([
      "  ⠋ localhost  build: docker build -t app:v2 .  2.5s".replace("⠋", state.frame[2]!),
      "               layer 3: Downloading 90%",
      expect.stringMatching(/^ {2}\S 10\.0\.0\.1 {3}health wait: kamal-proxy deploy app-web --target=abc:80 {2}2\.5s$/),
      // A short command's output is not progress: it stays hidden.
      expect.stringMatching(/^ {2}\S 10\.0\.0\.22 {2}docker ps {2}2\.5s$/),
    ]);
    output.commandFinished({ id: "00000001", host: "localhost", exitStatus: 0, durationMs: 2500 });
    expect(state.frame.split("\n")[0]).toBe("  ✓ localhost  1 command in 2.5s");
  });

  it("leaves plain lines and JSON events as they were", () => {
    const stdout = new MemoryStream();
    const plain = new Output({ stdout, stderr: new MemoryStream() });
    plain.commandStarted({ id: "00000001", host: "h1", command: cmd("docker", "pull", "app:v2") });
    plain.commandOutput({ id: "00000001", host: "h1", stream: "stdout", chunk: "v2: Pulling from app\n" });
    plain.commandFinished({ id: "00000001", host: "h1", exitStatus: 0, durationMs: 1000 });
    expect(stdout.text).toBe("  INFO [00000001] Running docker pull app:v2 on h1\n  INFO [00000001] Finished in 1.000 seconds with exit status 0 (successful).\n");
    const json = new MemoryStream();
    const events = new Output({ stdout: json, stderr: new MemoryStream(), format: "json", now: () => new Date(0) });
    events.commandStarted({ id: "00000001", host: "h1", command: cmd("docker", "pull", "app:v2") });
    events.commandOutput({ id: "00000001", host: "h1", stream: "stdout", chunk: "v2: Pulling from app\n" });
    expect(json.text.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { event: string }).event)).toEqual(["command.start"]);
  });
});

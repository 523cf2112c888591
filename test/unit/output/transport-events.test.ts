// The output as the transport's observer: real local commands through LocalTransport, printed
// in Kamal's format with their output lines and secrets masked.

import { describe, expect, it } from "vitest";
import { Redacted, cmd } from "../../../src/core/cmd.js";
import { Output } from "../../../src/output/index.js";
import { LocalTransport, type TransportObserver } from "../../../src/transport/index.js";
import { MemoryStream } from "./streams.js";

describe("Output observing the transport", () => {
  it("prints a local command's lines, output and outcome", async () => {
    const stdout = new MemoryStream();
    const output = new Output({ stdout, stderr: new MemoryStream(), verbosity: "debug" });
    const observer: TransportObserver = output; // no adapter needed
    const transport = new LocalTransport();
    transport.observe(observer);
    output.registerSecret("hunter2-password");

    await transport.run("localhost", cmd("printf", "'one\\ntwo %s\\n'", new Redacted("hunter2-password")));

    const lines = stdout.lines.map((line) => line.replace(/\[[0-9a-f]{8}\]/, "[id]").replace(/\d+\.\d{3} seconds/, "N seconds"));
    expect(lines).toEqual([
      "  INFO [id] Running printf 'one\\ntwo %s\\n' [REDACTED] on localhost",
      " DEBUG [id] Command: printf 'one\\ntwo %s\\n' [REDACTED]",
      " DEBUG [id] \tone",
      " DEBUG [id] \ttwo [REDACTED]",
      "  INFO [id] Finished in N seconds with exit status 0 (successful).",
    ]);
    await transport.close();
  });
});

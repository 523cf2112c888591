import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/util/errors.js";
import { CommandFailedError, HostExecutionError, MultipleHostsError, formatCommandFailure } from "../../../src/transport/errors.js";
import { onHosts } from "../../../src/transport/parallel.js";

describe("failed commands", () => {
  it("read like SSHKit's, with the whole redacted command first", () => {
    expect(formatCommandFailure("docker login -p [REDACTED] reg", 1, "", "  unauthorized\n")).toBe(
      ["docker login -p [REDACTED] reg exit status: 1", "docker stdout: Nothing written", "docker stderr: unauthorized"].join("\n"),
    );
    const error = new CommandFailedError("h1", "docker ps", 2, "out\n", "");
    expect(error).toBeInstanceOf(BerthError);
    expect(error.kind).toBe("SSHKit::Command::Failed");
    expect(error.message).toBe("docker ps exit status: 2\ndocker stdout: out\ndocker stderr: Nothing written");
  });
});

describe("onHosts", () => {
  const fail = (host: string, status: number) => new CommandFailedError(host, "docker pull app:1", status, "", `no space left on ${host}`);

  it("returns results in host order", async () => {
    const results = await onHosts(["a", "b", "c"], async (host) => {
      await new Promise((resolve) => setTimeout(resolve, host === "a" ? 30 : 1));
      return host.toUpperCase();
    });
    expect(results).toEqual(["A", "B", "C"]);
  });

  it("waits for every host and lists each failing one with its command, status and stderr", async () => {
    const finished: string[] = [];
    const error = await onHosts(["h1", "h2", "h3"], async (host) => {
      if (host === "h2") {
        await new Promise((resolve) => setTimeout(resolve, 20));
        finished.push(host);
        return;
      }
      throw fail(host, host === "h1" ? 1 : 125);
    }).catch((caught: unknown) => caught);
    expect(finished).toEqual(["h2"]); // not abandoned after h1 failed
    expect(error).toBeInstanceOf(MultipleHostsError);
    expect((error as MultipleHostsError).kind).toBe("SSHKit::Runner::ExecuteError");
    expect((error as Error).message).toBe(
      [
        "Exceptions on 2 hosts:",
        "Exception while executing on host h1: docker pull app:1 exit status: 1",
        "docker stdout: Nothing written",
        "docker stderr: no space left on h1",
        "Exception while executing on host h3: docker pull app:1 exit status: 125",
        "docker stdout: Nothing written",
        "docker stderr: no space left on h3",
      ].join("\n"),
    );
  });

  it("throws the single host's error as it is when only one fails", async () => {
    const error = await onHosts(["h1", "h2"], async (host) => {
      if (host === "h2") throw fail(host, 1);
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostExecutionError);
    expect((error as HostExecutionError).host).toBe("h2");
    expect((error as Error).message).toMatch(/^Exception while executing on host h2: docker pull app:1 exit status: 1\n/);
    expect((error as HostExecutionError).cause).toBeInstanceOf(CommandFailedError);
  });

  it("bounds how many hosts are worked on at once", async () => {
    let running = 0;
    let peak = 0;
    await onHosts(
      Array.from({ length: 7 }, (_, i) => `h${i}`),
      async () => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
      },
      { concurrency: 3 },
    );
    expect(peak).toBe(3);
  });
});

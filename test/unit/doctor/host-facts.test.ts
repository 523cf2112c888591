// Parsing what the host probe printed.
import { describe, expect, it } from "vitest";
import type { BatchStepResult } from "../../../src/commands/batch.js";
import { HOST_PROBE_LABELS } from "../../../src/commands/doctor.js";
import {
  describeProxyImage,
  dockerProblem,
  parseClock,
  parseDiskFree,
  parseHostProbe,
  parseListening,
  publishedPorts,
  splitImage,
} from "../../../src/doctor/host-facts.js";

function results(outputs: Partial<Record<(typeof HOST_PROBE_LABELS)[number], { code?: number; stdout?: string; stderr?: string }>>): BatchStepResult[] {
  return HOST_PROBE_LABELS.map((label, index) => {
    const output = outputs[label];
    return { index, label, ran: true, code: output?.code ?? 0, stdout: output?.stdout ?? "", stderr: output?.stderr ?? "" };
  });
}

describe("the host probe's output", () => {
  it("gives the facts of a healthy host", () => {
    const facts = parseHostProbe(
      results({
        user: { stdout: "deploy\n" },
        "docker cli": { stdout: "/usr/bin/docker\n" },
        "docker server": { stdout: "24.0.5\n" },
        "docker endpoint": { stdout: "\n\n" },
        listening: { stdout: "00000000:0016\n00000000:0050\n00000000000000000000000000000000:01BB\n" },
        disk: { stdout: "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 264000000 27000000 80000000 26% /\n" },
        addresses: { stdout: "10.0.0.5 fd00::5 \n" },
        clock: { stdout: "1700000000.250000000\n" },
      }),
    );
    expect(facts).toEqual({
      clockMs: 1_700_000_000_250,
      user: "deploy",
      dockerCli: true,
      dockerVersion: "24.0.5",
      dockerError: "",
      dockerSocket: "/var/run/docker.sock",
      listeningPorts: new Set([22, 80, 443]),
      disk: { availableBytes: 80_000_000 * 1024, mountedOn: "/" },
      addresses: ["10.0.0.5", "fd00::5"],
    });
  });

  it("tells a missing docker from a stopped daemon and a refused socket", () => {
    const missing = parseHostProbe(results({ "docker cli": { code: 1 }, "docker server": { code: 127, stderr: "sh: docker: not found\n" } }));
    expect(missing.dockerCli).toBe(false);
    expect(missing.dockerVersion).toBeUndefined();
    const stopped = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";
    expect(dockerProblem(stopped)).toBe("not running");
    expect(dockerProblem("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock")).toBe("permission");
    expect(dockerProblem("Error response from daemon: client version 1.52 is too new")).toBe("other");
  });

  it("leaves the API out where docker talks to another daemon", () => {
    expect(parseHostProbe(results({ "docker endpoint": { stdout: "tcp://10.0.0.9:2375\n\n" } })).dockerSocket).toBeUndefined();
    expect(parseHostProbe(results({ "docker endpoint": { stdout: "unix:///run/user/1000/docker.sock\n\n" } })).dockerSocket).toBe("/run/user/1000/docker.sock");
  });

  it("reads the clock with or without nanoseconds", () => {
    expect(parseClock("1700000000.5")).toBe(1_700_000_000_500);
    expect(parseClock("1700000000.N")).toBe(1_700_000_000_000);
    expect(parseClock("")).toBeUndefined();
  });

  it("reads listening ports and df's last line", () => {
    expect(parseListening("0100007F:1F90\n")).toEqual(new Set([8080]));
    expect(parseDiskFree("Filesystem 1024-blocks Used Available Capacity Mounted on\noverlay 100 50 50 50% /var/lib/docker\n")).toEqual({ availableBytes: 51_200, mountedOn: "/var/lib/docker" });
    expect(parseDiskFree("df: /nope: No such file or directory")).toBeUndefined();
  });
});

describe("Docker documents", () => {
  it("lists the host ports a container publishes", () => {
    expect(publishedPorts({ HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "80" }], "443/tcp": [{ HostPort: "443" }], "9000/tcp": null } } })).toEqual(new Set([80, 443]));
    expect(publishedPorts({})).toEqual(new Set());
  });

  it("names the proxy by its image: Berth's with its version, or kamal-proxy's tag", () => {
    expect(describeProxyImage("10.210.0.1:5555/berth-test/berth-proxy:v0.9.2.0.1.1")).toBe("Berth's proxy 0.1.1 (kamal-proxy v0.9.2 commands)");
    expect(describeProxyImage("basecamp/kamal-proxy:v0.9.2")).toBe("kamal-proxy v0.9.2");
    expect(describeProxyImage("localhost:5000/kamal-proxy")).toBe("kamal-proxy latest");
    expect(splitImage("localhost:5000/app")).toEqual({ repository: "localhost:5000/app", tag: undefined });
  });
});

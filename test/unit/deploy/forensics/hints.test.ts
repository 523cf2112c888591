// One hint per known cause of a container that never became healthy, from its evidence.
import { describe, expect, it } from "vitest";
import type { ContainerFacts } from "../../../../src/deploy/forensics/evidence.js";
import { diagnose, type Evidence } from "../../../../src/deploy/forensics/hints.js";

const running: ContainerFacts = { state: { Status: "running", Running: true, ExitCode: 0, StartedAt: "2026-01-01T00:00:00Z" }, restartCount: 0, healthcheck: undefined, id: "3f2a1b9c0d1e" };

const base: Evidence = {
  proxied: true,
  appPort: 80,
  healthPath: "/up",
  deployTimeoutSeconds: 30,
  facts: running,
  listeners: [{ address: "0.0.0.0", port: 80, loopback: false }],
  probe: { kind: "response", url: "http://172.18.0.5:80/up", status: 200, location: undefined, body: "ok" },
  runningSeconds: 31,
};

const causes = (evidence: Evidence): string[] => diagnose(evidence).map((hint) => hint.cause);

describe("forensic hints", () => {
  it("an app listening on 127.0.0.1 only", () => {
    const hints = diagnose({ ...base, listeners: [{ address: "127.0.0.1", port: 80, loopback: true }], probe: { kind: "refused", url: "u", message: "connection refused" } });
    expect(hints.map((hint) => hint.cause)).toEqual(["listens on loopback"]);
    expect(hints[0]!.text).toContain("listens on 127.0.0.1:80 only");
    expect(hints[0]!.text).toContain("0.0.0.0");
  });

  it("a wrong app_port", () => {
    const hints = diagnose({ ...base, listeners: [{ address: "0.0.0.0", port: 3000, loopback: false }], probe: { kind: "refused", url: "u", message: "connection refused" } });
    expect(hints.map((hint) => hint.cause)).toEqual(["wrong app_port"]);
    expect(hints[0]!.text).toBe("Nothing listens on port 80 (proxy.app_port) in the container; the app listens on 3000. Set proxy.app_port: 3000, or make the app listen on 80.");
  });

  it("a redirect to https", () => {
    const hints = diagnose({ ...base, probe: { kind: "response", url: "u", status: 301, location: "https://app.example.com/up", body: "" } });
    expect(hints.map((hint) => hint.cause)).toEqual(["redirect to https"]);
    expect(hints[0]!.text).toContain("GET /up answers 301 to https://app.example.com/up");
  });

  it("a boot slower than deploy_timeout: nothing listens yet, or it answers now", () => {
    expect(causes({ ...base, listeners: [], probe: { kind: "refused", url: "u", message: "connection refused" } })).toEqual(["slow boot"]);
    const late = diagnose(base);
    expect(late.map((hint) => hint.cause)).toEqual(["slow boot"]);
    expect(late[0]!.text).toBe("It is still running, and it answers 200 now, 31 s after it started: it boots slower than deploy_timeout (30 s) allows. Raise deploy_timeout, or make the boot faster; if it never gets further, its log lines above show where it stops.");
  });

  it("a crash loop, a clean exit, and an OOM kill", () => {
    const crashing = diagnose({ ...base, facts: { ...running, state: { Status: "restarting", Restarting: true, Running: true, ExitCode: 3 }, restartCount: 4 }, listeners: [], probe: { kind: "refused", url: "u", message: "connection refused" } });
    expect(crashing[0]).toMatchObject({ cause: "crash loop" });
    expect(crashing[0]!.text).toContain("exit code 3, restarted 4 times");
    expect(causes({ ...base, facts: { ...running, state: { Status: "exited", Running: false, ExitCode: 1 } } })).toEqual(["crash loop"]);
    expect(causes({ ...base, facts: { ...running, state: { Status: "exited", Running: false, ExitCode: 0 } } })).toEqual(["exited"]);
    expect(causes({ ...base, facts: { ...running, state: { Status: "exited", Running: false, ExitCode: 137, OOMKilled: true } } })).toEqual(["out of memory"]);
  });

  it("a Docker healthcheck whose command is missing in the image", () => {
    const facts: ContainerFacts = {
      ...running,
      healthcheck: ["CMD-SHELL", "curl -f http://localhost/up"],
      state: { ...running.state, Health: { Status: "unhealthy", Log: [{ ExitCode: 127, Output: "/bin/sh: curl: not found\n" }] } },
    };
    const hints = diagnose({ ...base, proxied: false, facts, listeners: undefined, probe: undefined });
    expect(hints.map((hint) => hint.cause)).toEqual(["healthcheck command missing"]);
    expect(hints[0]!.text).toBe("Its Docker HEALTHCHECK (curl -f http://localhost/up) can't run in the image: /bin/sh: curl: not found. Install that command in the image, or change the HEALTHCHECK to one the image has.");
  });

  it("a failing healthcheck, or one that hasn't passed yet, for a role without the proxy", () => {
    const failing: ContainerFacts = { ...running, healthcheck: ["CMD", "/app/check"], state: { ...running.state, Health: { Status: "unhealthy", Log: [{ ExitCode: 1, Output: "db down" }] } } };
    expect(diagnose({ ...base, proxied: false, facts: failing })).toEqual([{ cause: "healthcheck failing", text: "Its Docker HEALTHCHECK fails (exit 1: db down)." }]);
    const starting: ContainerFacts = { ...running, healthcheck: ["CMD", "/app/check"], state: { ...running.state, Health: { Status: "starting", Log: [] } } };
    expect(causes({ ...base, proxied: false, facts: starting })).toEqual(["slow boot"]);
  });

  it("a health path that answers an error", () => {
    expect(causes({ ...base, probe: { kind: "response", url: "u", status: 404, location: undefined, body: "Not Found" } })).toEqual(["health path fails"]);
  });

  it("nothing for a container that is gone", () => {
    expect(diagnose({ ...base, facts: undefined })).toEqual([]);
  });
});

// The report as text and as JSON.
import { describe, expect, it } from "vitest";
import { fail, ok, skip, warn } from "../../../src/doctor/checks.js";
import { doctorReport, reportJson, reportText } from "../../../src/doctor/report.js";
import { createColors } from "../../../src/output/colors.js";

const plain = createColors(false);

describe("doctor's report", () => {
  it("prints a section per place, one line per check, the fix under a failure", () => {
    const report = doctorReport(
      [
        { where: "local", checks: [ok("configuration", "config/deploy.yml is valid"), warn("git", "2 uncommitted changes", "commit them")] },
        { where: "10.0.0.5", checks: [fail("ssh", "Cannot connect to 10.0.0.5", "check the host"), skip("checks", "the rest needs SSH")] },
      ],
      1.234,
    );
    expect(reportText(report, plain)).toBe(
      [
        "This machine",
        "  ✓ configuration  config/deploy.yml is valid",
        "  ! git            2 uncommitted changes",
        "                   → commit them",
        "10.0.0.5",
        "  ✗ ssh            Cannot connect to 10.0.0.5",
        "                   → check the host",
        "  - checks         the rest needs SSH",
        "",
        "1 of 4 checks failed on this machine and 1 host in 1.2 s, 1 warning, 1 not checked.",
        "",
      ].join("\n"),
    );
    expect(report.ok).toBe(false);
  });

  it("sums up a clean run", () => {
    const report = doctorReport([{ where: "local", checks: [ok("docker", "Docker 24")] }, { where: "a", checks: [ok("ssh", "fine")] }, { where: "b", checks: [ok("ssh", "fine")] }], 0.71);
    expect(reportText(report, plain).trimEnd().split("\n").at(-1)).toBe("All 3 checks passed on this machine and 2 hosts in 0.7 s.");
  });

  it("gives every check with where it ran as JSON", () => {
    const report = doctorReport([{ where: "local", checks: [ok("docker", "Docker 24")] }, { where: "a", checks: [fail("disk", "1 GB", "free some")] }], 0.5);
    expect(reportJson(report)).toEqual({
      ok: false,
      seconds: 0.5,
      checks: [
        { where: "local", check: "docker", status: "ok", detail: "Docker 24" },
        { where: "a", check: "disk", status: "fail", detail: "1 GB", fix: "free some" },
      ],
    });
  });
});

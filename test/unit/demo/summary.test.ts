import { describe, expect, it } from "vitest";
import { formatSummary, summaryDocument, type DemoSummary } from "../../../src/demo/summary.js";

const summary: DemoSummary = {
  servers: [
    { ip: "10.210.0.11", runs: ["web", "redis"] },
    { ip: "10.210.0.12", runs: ["web", "worker"] },
  ],
  before: { versions: ["aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa"], release: 1 },
  after: { versions: ["bbbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbbb"], release: 2 },
  load: { sent: 1200, failed: 0, failures: [], versionsSeen: ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"], durationMs: 9000 },
  steps: [
    { name: "servers", seconds: 3.21, note: "started" },
    { name: "setup", seconds: 20 },
  ],
  projectDir: "/tmp/berth-testbed/demo/hello",
  url: "http://10.210.0.11/",
  berthCommand: undefined,
};

describe("the demo's summary", () => {
  it("says what runs where, what was served before and after, what the requests saw, and how to go on", () => {
    expect(formatSummary(summary)).toBe(
      [
        "The demo app is deployed: no request failed during the deploy.",
        "  servers    10.210.0.11 (web, redis), 10.210.0.12 (web, worker)",
        "  before     aaaaaaaaaaaa on every server (release 1)",
        "  after      bbbbbbbbbbbb on every server (release 2)",
        "  requests   1200 sent during the deploy, 0 failed; answered by aaaaaaaaaaaa then bbbbbbbbbbbb",
        "  steps      servers         3.2s  started",
        "             setup          20.0s",
        "  try it     curl http://10.210.0.11/",
        "             cd /tmp/berth-testbed/demo/hello",
        "             berth details · berth app logs · berth rollback <version> · berth deploy after a commit",
        "  remove it  berth demo --down",
        "",
      ].join("\n"),
    );
  });

  it("names failed requests, and servers that served different versions", () => {
    const text = formatSummary({
      ...summary,
      before: { versions: ["aaaaaaaaaaaaaaaa", ""], release: 1 },
      load: { ...summary.load, failed: 2, failures: ["http://10.210.0.12/version: 502", "http://10.210.0.12/version: 502"] },
    });
    expect(text).toMatch(/^The demo app is deployed: 2 requests failed\.$/m);
    expect(text).toContain("  before     aaaaaaaaaaaa, nothing (release 1)");
    expect(text).toContain("  failed: http://10.210.0.12/version: 502");
  });

  it("says how to run berth when it isn't on the PATH", () => {
    expect(formatSummary({ ...summary, berthCommand: "node /src/berth/dist/bundle/berth.js" })).toContain(
      "             berth details · berth app logs · berth rollback <version> · berth deploy after a commit\n" +
        "             (berth is `node /src/berth/dist/bundle/berth.js` here; `npm link` in Berth's repository puts it on the PATH)\n",
    );
  });

  it("has the same facts for --output json", () => {
    expect(summaryDocument(summary)).toMatchObject({ requests: { sent: 1200, failed: 0 }, curl: "curl http://10.210.0.11/", after: { release: 2 } });
  });
});

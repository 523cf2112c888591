import { describe, expect, it } from "vitest";
import { renderErrorPage } from "../../../src/server/error-pages.js";
import { defaultServiceOptions, defaultTargetOptions, normalizePathPrefixes, parseTargetAddress, validateDeploy, type DeployArgs } from "../../../src/server/options.js";
import { fnv32a, RolloutController } from "../../../src/server/rollout.js";
import { Service } from "../../../src/server/service.js";
import { pathMatches, ServiceMap, stripPrefix } from "../../../src/server/service-map.js";
import { fromStateJson, toStateJson, type ServiceRecord } from "../../../src/server/state.js";
import { formatDuration, parseDuration } from "../../../src/util/duration.js";

function service(name: string, hosts: string[], prefixes: string[] = ["/"], tls = false): Service {
  return new Service(name, { ...defaultServiceOptions(), hosts, pathPrefixes: prefixes, tlsEnabled: tls }, defaultTargetOptions());
}

describe("durations", () => {
  it("parses and prints Go durations", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("0")).toBe(0);
    expect(() => parseDuration("30")).toThrow("invalid duration");
    expect(() => parseDuration("s")).toThrow();
    expect(formatDuration(30_000)).toBe("30s");
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(600)).toBe("600ms");
    expect(formatDuration(3_600_000)).toBe("1h0m0s");
  });
});

describe("service map", () => {
  const map = new ServiceMap([
    service("root", ["example.com"]),
    service("api", ["example.com"], ["/api"]),
    service("wild", ["*.example.com"]),
    service("any", []),
  ]);
  const name = (host: string, path: string): string | undefined => map.lookup(host, path)?.service.name;

  it("prefers exact hosts, then one-level wildcards, then the catch-all", () => {
    expect(name("example.com", "/")).toBe("root");
    expect(name("a.example.com", "/")).toBe("wild");
    expect(name("a.b.example.com", "/")).toBe("any");
    expect(name("other.test", "/")).toBe("any");
  });

  it("matches the longest prefix on a segment boundary", () => {
    expect(name("example.com", "/api/x")).toBe("api");
    expect(name("example.com", "/api")).toBe("api");
    expect(name("example.com", "/apix")).toBe("root");
    expect(pathMatches("/api", "/api/")).toBe(true);
    expect(stripPrefix("/api", "/api/users?x=1")).toBe("/users?x=1");
    expect(stripPrefix("/api", "/api?x=1")).toBe("/?x=1");
    expect(stripPrefix("/", "/x")).toBe("/x");
  });

  it("takes TLS settings for sub-path services from the root service of the host", () => {
    const tlsMap = new ServiceMap([service("root", ["s.com"], ["/"], true), service("sub", ["s.com"], ["/sub"])]);
    expect(tlsMap.lookup("s.com", "/sub/x")).toMatchObject({ tlsEnabled: true });
  });

  it("normalises prefixes", () => {
    expect(normalizePathPrefixes([])).toEqual(["/"]);
    expect(normalizePathPrefixes(["api/", "/v2//"])).toEqual(["/api", "/v2"]);
  });
});

describe("deploy validation", () => {
  const args = (overrides: Partial<DeployArgs["serviceOptions"]> = {}, targets = ["app:80"]): DeployArgs => ({
    service: "app",
    targets,
    readers: [],
    deployTimeoutMs: 1,
    drainTimeoutMs: 1,
    force: false,
    serviceOptions: { ...defaultServiceOptions(), ...overrides },
    targetOptions: defaultTargetOptions(),
  });
  it("accepts Kamal's targets and rejects schemes, bad wildcards and ACME wildcards", () => {
    expect(validateDeploy(args())).toBeNull();
    expect(validateDeploy(args({}, ["http://app:80"]))).toContain("invalid target address");
    expect(validateDeploy(args({ hosts: ["a.*.com"] }))).toContain("invalid wildcard host");
    expect(validateDeploy(args({ hosts: ["*.a.com"], tlsEnabled: true }))).toBe("automatic TLS does not support wildcards");
    expect(validateDeploy(args({ hosts: ["a.com"], canonicalHost: "b.com" }))).toBe("canonical host must be one of the service's hosts");
    expect(parseTargetAddress("3f1c9a2b7d4e")).toEqual({ name: "3f1c9a2b7d4e", host: "3f1c9a2b7d4e", port: 80 });
  });
});

describe("rollout", () => {
  it("hashes with FNV-1a and splits by percentage and allow-list", () => {
    expect(fnv32a("")).toBe(0x811c9dc5);
    expect(fnv32a("a")).toBe(0xe40c292c);
    const controller = new RolloutController(0, ["vip"]);
    expect(controller.usesRollout("vip")).toBe(true);
    expect(controller.usesRollout("other")).toBe(false);
    expect(controller.usesRollout(undefined)).toBe(false);
    expect(new RolloutController(100, []).usesRollout("anyone")).toBe(true);
    const half = new RolloutController(50, []);
    const share = Array.from({ length: 2000 }, (_, i) => half.usesRollout(`account-${i}`)).filter(Boolean).length / 2000;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
  });
});

describe("state file", () => {
  it("round-trips through kamal-proxy's JSON layout with nanosecond durations", () => {
    const record: ServiceRecord = {
      name: "app-web",
      options: { ...defaultServiceOptions(), hosts: ["a.com"], tlsEnabled: true },
      targetOptions: { ...defaultTargetOptions(), bufferRequests: true, forwardHeaders: false },
      activeTargets: ["c1:80"],
      activeReaders: [],
      rolloutTargets: ["c2:80"],
      rolloutReaders: [],
      pause: { state: "stopped", stopMessage: "brb", failAfterMs: 30_000 },
      rollout: { percentage: 10, allowlist: ["x"] },
    };
    const json = toStateJson([record]);
    expect(json[0]).toMatchObject({
      target_options: { response_timeout: 30_000_000_000, health_check_config: { interval: 1_000_000_000 } },
      pause_controller: { state: 2, stop_message: "brb" },
      rollout_controller: { percentage: 10, allowlist: ["x"] },
    });
    expect(fromStateJson(JSON.parse(JSON.stringify(json)))).toEqual([record]);
  });
});

describe("error pages", () => {
  it("substitutes an escaped message into templates and falls back to built-in pages", () => {
    const pages = new Map([[503, "<b>{{ .Message }}</b> {{.Message}}"]]);
    expect(renderErrorPage(pages, 503, "a<b")).toBe("<b>a&#60;b</b> a&#60;b");
    expect(renderErrorPage(pages, 404, "")).toContain("<h1>404 Not Found</h1>");
  });
});

import { describe, expect, it } from "vitest";
import { findByHost, hostLookupKeys, isDnsName, normalizeHost } from "../../../src/tls/host-match.js";

describe("host matching for SNI", () => {
  it("tries the exact host, then the single-level wildcard of its parent", () => {
    expect(hostLookupKeys("a.b.example.com")).toEqual(["a.b.example.com", "*.b.example.com"]);
    expect(hostLookupKeys("localhost")).toEqual(["localhost"]);
  });

  it("prefers an exact entry over a wildcard and never matches two levels deep", () => {
    const table = new Map([
      ["*.example.com", "wild"],
      ["app.example.com", "exact"],
    ]);
    expect(findByHost(table, "app.example.com")).toBe("exact");
    expect(findByHost(table, "other.example.com")).toBe("wild");
    expect(findByHost(table, "x.other.example.com")).toBeUndefined();
    expect(findByHost(table, "example.com")).toBeUndefined();
  });

  it("normalises case, a trailing dot and IDNs to the ASCII form SNI carries", () => {
    expect(normalizeHost("App.Example.COM.")).toBe("app.example.com");
    expect(normalizeHost("bücher.example")).toBe("xn--bcher-kva.example");
    expect(normalizeHost("*.bücher.example")).toBe("*.xn--bcher-kva.example");
  });

  it("accepts DNS names and rejects paths, empty labels and underscores-only junk", () => {
    expect(isDnsName("app.example.com")).toBe(true);
    expect(isDnsName("xn--bcher-kva.example")).toBe(true);
    expect(isDnsName("../etc/passwd")).toBe(false);
    expect(isDnsName("a..b")).toBe(false);
    expect(isDnsName("-a.example")).toBe(false);
    expect(isDnsName(`${"a".repeat(64)}.example`)).toBe(false);
  });
});

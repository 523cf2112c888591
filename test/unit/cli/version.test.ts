import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BERTH_VERSION } from "../../../src/version.js";

describe("BERTH_VERSION", () => {
  it("is the package version", () => {
    const manifest = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(BERTH_VERSION).toBe(manifest.version);
  });
});

// The package's executable is the esbuild bundle (dist/bundle/berth.js): it must find Berth's
// own files from there, as the modules did (package.json and templates here; the proxy package
// goes through the same packageRoot()).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const bin = join(root, "dist/bundle/berth.js");
let project: string;

const berth = (...args: string[]): string =>
  execFileSync(process.execPath, [bin, ...args], { cwd: project, env: { ...process.env, VERSION: "bundle-test" }, encoding: "utf8" });

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "scripts/bundle.mjs")], { cwd: root, stdio: "inherit" });
  project = mkdtempSync(join(tmpdir(), "berth-bundle-"));
}, 60_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("the bundled berth executable", () => {
  it("is the package's bin", () => {
    expect((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: { berth: string } }).bin.berth).toBe("dist/bundle/berth.js");
  });

  it("reports the package's version, and scaffolds and reads a project from the package's templates", () => {
    const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
    expect(berth("version").trim()).toBe(version);
    expect(berth("init")).toContain("Created configuration file in config/deploy.yml");
    expect(readFileSync(join(project, "config/deploy.yml"), "utf8")).toBe(readFileSync(join(root, "templates/init/config/deploy.yml"), "utf8"));
    expect(berth("config")).toMatch(/^:service_with_version: my-app-bundle-test$/m);
  });
});

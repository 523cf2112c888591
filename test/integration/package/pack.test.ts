// The npm package as users get it: `npm pack`, installed globally into a scratch prefix with no
// dev dependencies (and no network: it has no dependencies at all), must run `berth` from the
// bundle and find its own files (templates, proxy image context, example app, test bed script).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_VERSION, REPO_ROOT, packAndInstall } from "../../support/package.js";

const root = REPO_ROOT;
const version = PACKAGE_VERSION;
let scratch: string;
let tarball: string;
let prefix: string;
let installed: string;

const run = (command: string, args: string[], cwd: string, env: Record<string, string> = {}): string =>
  execFileSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false", ...env } });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "berth-pack-"));
  ({ tarball, prefix, directory: installed } = packAndInstall(scratch));
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the npm package", () => {
  it("holds what runs, not the compiler's output, and needs no other package", () => {
    const files = filesUnder(installed);
    expect(files).toContain("dist/bundle/berth.js");
    for (const needed of ["proxy/Dockerfile", "proxy/package.json", "proxy/dist/bin/kamal-proxy.js", "schema/deploy.schema.json", "templates/init/config/deploy.yml", "examples/hello/config/deploy.yml", "examples/hello/.kamal/secrets", "testbed/scripts/host-boot.sh"]) {
      expect(files).toContain(needed);
    }
    expect(files.filter((file) => /\.(map|d\.ts|tsbuildinfo|ts)$/.test(file))).toEqual([]);
    expect(files.filter((file) => file.startsWith("dist/") && !file.startsWith("dist/bundle/"))).toEqual([]);
    // No dependencies: nothing installed beside the package itself.
    expect(existsSync(join(installed, "node_modules"))).toBe(false);
    expect(readdirSync(join(prefix, "lib/node_modules"))).toEqual(["berth"]);
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { dependencies?: object };
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(statSync(tarball).size).toBeLessThan(1_000_000);
  });

  it("runs berth from the global bin: --version, init, config, and says to run init where there is no config", () => {
    const berth = join(prefix, "bin/berth");
    expect(run(berth, ["--version"], scratch).trim()).toBe(version);
    const project = mkdtempSync(join(scratch, "project-"));
    const missing = spawnSync(berth, ["config"], { cwd: project, encoding: "utf8" });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("Configuration file not found in config/deploy.yml: run `berth init` to create one");
    expect(run(berth, ["init"], project)).toContain("Created configuration file in config/deploy.yml");
    expect(readFileSync(join(project, "config/deploy.yml"), "utf8")).toBe(readFileSync(join(root, "templates/init/config/deploy.yml"), "utf8"));
    expect(run(berth, ["config"], project, { VERSION: "pack-test" })).toMatch(/^:service_with_version: my-app-pack-test$/m);
  });

  it("runs with npx from a project that installed it", () => {
    const local = mkdtempSync(join(scratch, "local-"));
    run("npm", ["init", "--yes"], local);
    run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], local);
    expect(run("npx", ["--offline", "berth", "--version"], local).trim()).toBe(version);
    expect(run("npx", ["--offline", "berth", "demo", "--help"], local)).toContain("needs root");
  });
});

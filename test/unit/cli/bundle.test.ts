// The package's executable is the esbuild bundle (dist/bundle/berth.js): it must find Berth's
// own files from there, as the modules did (package.json and templates here; the proxy package
// goes through the same packageRoot()).
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const bin = join(root, "dist/bundle/berth.js");
let project: string;

let cacheHome: string;

const berth = (...args: string[]): string =>
  execFileSync(process.execPath, [bin, ...args], { cwd: project, env: { ...process.env, VERSION: "bundle-test", XDG_CACHE_HOME: cacheHome }, encoding: "utf8" });

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "scripts/bundle.mjs")], { cwd: root, stdio: "inherit" });
  project = mkdtempSync(join(tmpdir(), "berth-bundle-"));
  cacheHome = mkdtempSync(join(tmpdir(), "berth-bundle-cache-"));
}, 60_000);

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(cacheHome, { recursive: true, force: true });
});

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

  it("calls import() only through importFile: run from its code cache, the bundle's own import() has no loader on Node 20", () => {
    const bundle = readFileSync(join(root, "dist/bundle/cli.js"), "utf8");
    const imports = [...bundle.matchAll(/(?<![\w$.])import\(/g)].map((match) => bundle.slice(match.index - 60, match.index + 20));
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatch(/typeof __berthImport=="function"\?__berthImport\(\w+\):import\(/);
  });

  it("keeps a V8 code cache for the CLI in the user's cache directory, private, and runs the same without it or with a broken one", () => {
    berth("init");
    const expected = berth("config");
    const directory = join(cacheHome, "berth");
    // One per command (init's and config's): each holds the functions its command ran.
    expect(readdirSync(directory)).toHaveLength(2);
    const file = readdirSync(directory).find((name) => name.includes("-config-"));
    expect(file).toMatch(new RegExp(`^[0-9a-f]{16}-[0-9a-f]{8}-config-${process.version}-${process.arch}\\.v8cache$`));
    const cache = join(directory, file!);
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    expect(statSync(cache).size).toBeGreaterThan(100_000);
    expect(berth("config")).toBe(expected);
    // Corrupt: V8 rejects it, the CLI compiles the bundle itself and writes a good cache again,
    // removing other builds' caches older than a day (not a younger one: maybe still in use).
    writeFileSync(cache, "not a code cache", { mode: 0o600 });
    const [old, recent] = [join(directory, "0000000000000000-00000000-v20.0.0-x64.v8cache"), join(directory, "1111111111111111-00000000-v20.0.0-x64.v8cache")];
    writeFileSync(old, "old build");
    writeFileSync(recent, "recent build");
    utimesSync(old, new Date(Date.now() - 2 * 86_400_000), new Date(Date.now() - 2 * 86_400_000));
    expect(berth("config")).toBe(expected);
    expect(statSync(cache).size).toBeGreaterThan(100_000);
    expect(readdirSync(directory)).toContain(basename(recent));
    expect(readdirSync(directory)).not.toContain(basename(old));
    rmSync(recent);
    // A failed run writes none: its cache would lack most of the command's functions.
    rmSync(cache);
    expect(() => berth("config", "-d", "nowhere")).toThrow();
    expect(readdirSync(directory)).not.toContain(file);
    expect(berth("config")).toBe(expected);
    expect(readdirSync(directory)).toContain(file);
    // Writable by others: not trusted (it becomes code), not read, replaced by a private one.
    writeFileSync(cache, readFileSync(join(cacheHome, "berth", file!)));
    chmodSync(cache, 0o666);
    expect(berth("config")).toBe(expected);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
  });
});

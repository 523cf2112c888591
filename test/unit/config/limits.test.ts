// What Berth refuses before it trusts a file: limits on size, encoding, control characters, alias
// expansion and nesting; hosts ssh would misread; versions Docker could not tag.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkHosts, hostProblem } from "../../../src/config/host-checks.js";
import { LIMITS, checkYamlText, decodeText, readTextFile } from "../../../src/config/limits.js";
import { checkVersion } from "../../../src/config/version.js";
import { parseYaml } from "../../../src/config/yaml.js";
import { BerthError } from "../../../src/util/errors.js";

const scratch = mkdtempSync(join(tmpdir(), "berth-limits-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function failure(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (error instanceof BerthError) return error.message;
    throw error;
  }
  throw new Error("expected a BerthError");
}

describe("reading files", () => {
  it("names the first invalid UTF-8 byte by line and column", () => {
    expect(failure(() => decodeText(Buffer.from([0x61, 0x0a, 0x62, 0x63, 0xff, 0x0a]), "config/deploy.yml"))).toBe("config/deploy.yml:2:3: invalid UTF-8 (byte 0xff)");
    expect(failure(() => decodeText(Buffer.from([0x61, 0xc3]), "f"))).toBe("f:1:2: invalid UTF-8 (byte 0xc3)");
    expect(decodeText(Buffer.from("é\uFFFD ok"), "f")).toBe("é\uFFFD ok");
  });

  it("refuses directories, FIFOs (without blocking) and oversized files, and reads the rest", () => {
    const dir = join(scratch, "dir");
    mkdirSync(dir);
    const fifo = join(scratch, "fifo");
    execFileSync("mkfifo", [fifo]);
    const big = join(scratch, "big");
    writeFileSync(big, "a".repeat(LIMITS.fileBytes + 1));
    const fine = join(scratch, "fine");
    writeFileSync(fine, "service: app\n");
    expect(failure(() => readTextFile(dir, "dir", "Secrets file"))).toBe("Secrets file dir is a directory");
    expect(failure(() => readTextFile(fifo, "fifo", "Secrets file"))).toBe("Secrets file fifo is not a regular file");
    expect(failure(() => readTextFile(big, "big", "Configuration file"))).toBe(`Configuration file big is ${LIMITS.fileBytes + 1} bytes, more than the 1 MiB Berth reads`);
    expect(failure(() => readTextFile(join(scratch, "none"), "none", "Configuration file"))).toBe("Configuration file not found in none");
    expect(readTextFile(fine, "fine", "Configuration file")).toBe("service: app\n");
  });

  it("refuses control characters YAML can't hold, naming them and their place", () => {
    expect(failure(() => checkYamlText("a: 1\nb: x\u0007y\n", "config/deploy.yml", false))).toBe("config/deploy.yml:2:5: YAML: control character U+0007 is not allowed");
    expect(failure(() => checkYamlText("a: \u0000", "config/deploy.yml", true))).toBe("config/deploy.yml:1:4: YAML: control character U+0000 is not allowed (in the text ERB rendered)");
    expect(() => checkYamlText("a: tab\there, NEL \u0085, é, 😀\r\n", "f", false)).not.toThrow();
  });
});

describe("YAML limits", () => {
  const laughs = `a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${"bcdefghi"
    .split("")
    .map((name, index) => `${name}: &${name} [${Array(9).fill(`*${"abcdefghi"[index]}`).join(", ")}]`)
    .join("\n")}\n`;

  it("refuses an alias bomb at the alias that overflows, in well under the time it would take to expand", () => {
    const started = performance.now();
    const message = failure(() => parseYaml(laughs, "config/deploy.yml"));
    expect(message).toMatch(/^config\/deploy\.yml:\d+:\d+: YAML: alias \*[a-i] expands the document to more than 50000 values \(aliases nested in aliases, an "alias bomb"\?\)$/);
    // 9^9 values would take minutes and gigabytes; the limit stops it after 50000.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("refuses nesting deeper than the limit, also where the parser itself would overflow its stack", () => {
    expect(failure(() => parseYaml(`a: ${"[".repeat(70)}${"]".repeat(70)}\n`, "f"))).toMatch(/^f:1:\d+: YAML: maps and lists nested more than 64 levels deep$/);
    expect(failure(() => parseYaml(`a: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`, "f"))).toMatch(/^f:1:\d+: YAML: maps and lists nested more than 64 levels deep$/);
    expect(() => parseYaml(`a: ${"[".repeat(60)}${"]".repeat(60)}\n`, "f")).not.toThrow();
  });

  it("names unknown and self-referring aliases and merge keys", () => {
    expect(failure(() => parseYaml("a: *nope\n", "f"))).toBe("f:1:4: YAML: unknown alias *nope");
    expect(failure(() => parseYaml("a: &x [1, *x]\n", "f"))).toBe("f:1:11: YAML: alias *x refers to a value that contains it");
    expect(failure(() => parseYaml("a: &x\n  b: 1\n  <<: *x\n", "f"))).toBe("f:2:3: YAML: merge key << refers to a map that contains it");
  });

  it("reads the first document only, as Psych does, and refuses %YAML 2.0", () => {
    expect(parseYaml("a: 1\n---\na: [unclosed\n", "f").value).toEqual({ a: 1 });
    expect(failure(() => parseYaml("%YAML 2.0\n---\na: 1\n", "f"))).toBe("f:1:7: YAML: a %YAML directive for a version other than 1.x");
  });

  it("shows a list or map used as a key as short JSON", () => {
    expect(Object.keys(parseYaml("? [a, b]\n: c\n", "f").value as object)).toEqual(['["a","b"]']);
    expect(Object.keys(parseYaml("x: &x [1]\n? *x\n: c\n", "f").value as object)).toEqual(["x", "[1]"]);
  });
});

describe("hosts", () => {
  it("refuses what ssh would misread and accepts every host form Kamal takes", () => {
    for (const host of ["10.0.0.1", "web-1.example.com", "deploy@10.0.0.1", "10.0.0.1:2222", "[::1]:22", "fe80::1%eth0", "host_name", "bücher.example"]) {
      expect(hostProblem(host), host).toBeUndefined();
    }
    expect(hostProblem("-oProxyCommand=x")).toBe('"-oProxyCommand=x" starts with "-", which ssh would read as an option');
    expect(hostProblem("a;b")).toBe('"a;b" contains ";", which no host name or address has');
    expect(hostProblem("a\tb")).toBe('"a\\tb" contains U+0009, which no host name or address has');
    expect(hostProblem(" ")).toBe("is empty");
  });

  it("checks servers, roles, tagged hosts, accessories and ssh/proxy, each at its path", () => {
    const findings = checkHosts({
      servers: { web: ["ok", "-a"], workers: { hosts: [{ "b;": "tag" }] } },
      accessories: { db: { host: "$(x)" }, cache: { hosts: ["ok", "`y`"] } },
      ssh: { proxy: "-J" },
    });
    expect(findings.map((finding) => finding.path.join("/"))).toEqual([
      "servers/web/1",
      "servers/workers/hosts/0/b;",
      "accessories/db/host",
      "accessories/cache/hosts/1",
      "ssh/proxy",
    ]);
  });
});

describe("versions", () => {
  it("takes Docker tags and refuses the rest, naming where the version came from", () => {
    for (const version of ["v1", "1.2.3", "abc_uncommitted_0123", "a".repeat(128)]) expect(() => checkVersion(version, "--version")).not.toThrow();
    expect(failure(() => checkVersion("a b", "$VERSION"))).toBe(
      '$VERSION "a b" can\'t be a version: Docker tags are 1 to 128 letters, digits, "_", "." and "-", not starting with "." or "-"',
    );
    for (const version of ["", "-x", ".x", "a".repeat(129), "v1;reboot", "v\n1"]) expect(() => checkVersion(version, "--version")).toThrow(BerthError);
  });
});

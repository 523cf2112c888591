import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scaffold } from "../../../src/cli/actions/init.js";
import { runCli } from "../../../src/cli/main.js";
import { MemoryStream } from "../output/streams.js";

let base: string;
let templates: string;
let project: string;

function write(root: string, file: string, content: string, mode = 0o644): void {
  mkdirSync(join(root, file, ".."), { recursive: true });
  writeFileSync(join(root, file), content);
  chmodSync(join(root, file), mode);
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "berth-init-"));
  templates = join(base, "templates");
  project = join(base, "project");
  mkdirSync(project);
  write(templates, "config/deploy.yml", "service: my-app\n");
  write(templates, ".kamal/secrets", "# secrets\n", 0o600);
  write(templates, ".kamal/hooks/pre-deploy.sample", "#!/bin/sh\n", 0o644);
  write(templates, ".kamal/hooks/post-deploy.sample", "#!/bin/sh\n", 0o755);
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("berth init (scaffold)", () => {
  it("creates config/deploy.yml, .kamal/secrets and executable sample hooks, saying what it did as Kamal does", async () => {
    const messages = await scaffold(project, templates);
    expect(messages).toEqual([
      "Created configuration file in config/deploy.yml",
      "Created .kamal/secrets file",
      "Created sample hooks in .kamal/hooks",
    ]);
    expect(readFileSync(join(project, "config/deploy.yml"), "utf8")).toBe("service: my-app\n");
    expect(statSync(join(project, ".kamal/secrets")).mode & 0o777).toBe(0o600);
    for (const hook of ["pre-deploy.sample", "post-deploy.sample"]) {
      expect(statSync(join(project, ".kamal/hooks", hook)).mode & 0o777).toBe(0o755);
    }
  });

  it("refuses to overwrite an existing config/deploy.yml, with Kamal's message", async () => {
    write(project, "config/deploy.yml", "service: mine\n");
    const messages = await scaffold(project, templates);
    expect(messages[0]).toBe("Config file already exists in config/deploy.yml (remove first to create a new one)");
    expect(readFileSync(join(project, "config/deploy.yml"), "utf8")).toBe("service: mine\n");
  });

  it("keeps existing secrets and leaves an existing hooks directory alone", async () => {
    write(project, ".kamal/secrets", "KEY=mine\n");
    mkdirSync(join(project, ".kamal/hooks"), { recursive: true });
    const messages = await scaffold(project, templates);
    expect(messages).toEqual(["Created configuration file in config/deploy.yml"]);
    expect(readFileSync(join(project, ".kamal/secrets"), "utf8")).toBe("KEY=mine\n");
    expect(existsSync(join(project, ".kamal/hooks/pre-deploy.sample"))).toBe(false);
  });

  it("does nothing the second time", async () => {
    await scaffold(project, templates);
    expect(await scaffold(project, templates)).toEqual(["Config file already exists in config/deploy.yml (remove first to create a new one)"]);
  });

  it("copies any other template file, never over an existing one", async () => {
    write(templates, ".kamal/secrets-common", "# common\n");
    const messages = await scaffold(project, templates);
    expect(messages).toContain("Created .kamal/secrets-common");
    expect(readFileSync(join(project, ".kamal/secrets-common"), "utf8")).toBe("# common\n");
  });

  it("names the missing templates directory", async () => {
    await expect(scaffold(project, join(templates, "nope"))).rejects.toThrow(/init templates are missing: .*nope does not exist/);
  });
});

describe("berth init (with Berth's own templates)", () => {
  async function berth(cwd: string, ...argv: string[]) {
    const stdout = new MemoryStream();
    const stderr = new MemoryStream();
    const code = await runCli(argv, { stdout: stdout as never, stderr, env: {}, cwd });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it("scaffolds a project whose configuration loads, and refuses to overwrite it", async () => {
    const first = await berth(project, "init");
    expect(first).toMatchObject({
      code: 0,
      stderr: "",
      stdout: "Created configuration file in config/deploy.yml\nCreated .kamal/secrets file\nCreated sample hooks in .kamal/hooks\n",
    });
    const hooks = readdirSync(join(project, ".kamal/hooks"));
    expect(hooks).toContain("pre-deploy.sample");
    for (const hook of hooks) expect(statSync(join(project, ".kamal/hooks", hook)).mode & 0o111).toBe(0o111);

    const config = await berth(project, "config", "--version", "1", "--output", "json");
    expect(config.stderr).toBe("");
    expect(JSON.parse(config.stdout)).toMatchObject({ roles: ["web"], version: "1" });

    const second = await berth(project, "init");
    expect(second).toMatchObject({ code: 0, stdout: "Config file already exists in config/deploy.yml (remove first to create a new one)\n" });
  });

  it("defaults to no registry at all (localhost:5555, as kamal init writes), with no credentials to fill in", () => {
    const template = readFileSync(join(import.meta.dirname, "../../../templates/init/config/deploy.yml"), "utf8");
    expect(template).toMatch(/^registry:\n(?: {2}#.*\n)* {2}server: localhost:5555\n/m);
    expect(template).not.toMatch(/^ {2}username:/m);
    expect(template).not.toMatch(/^ {2}password:/m);
  });
});

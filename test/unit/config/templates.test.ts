// The `berth init` scaffold must load with this layer's defaults, as Kamal's does with Kamal's.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";

const TEMPLATES = fileURLToPath(new URL("../../../templates/init/", import.meta.url));
const HOOKS = ["pre-connect", "pre-build", "pre-deploy", "post-deploy", "pre-app-boot", "post-app-boot", "pre-proxy-reboot", "post-proxy-reboot", "docker-setup"];

/** The commented-out root sections (`# env:` … up to the blank line), uncommented. */
function commentedSections(template: string): string {
  const sections: string[] = [];
  let current: string[] | undefined;
  for (const line of template.split("\n")) {
    if (/^# [a-z_]+:/.test(line)) {
      current = [line.slice(2)];
      sections.push("");
    } else if (current && line.startsWith("#   ")) {
      current.push(line.slice(2));
    } else if (current) {
      sections[sections.length - 1] = current.join("\n");
      current = undefined;
    }
  }
  return sections.join("\n");
}

describe("init templates", () => {
  const project = mkdtempSync(join(tmpdir(), "berth-init-"));
  cpSync(TEMPLATES, project, { recursive: true });
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const template = readFileSync(join(TEMPLATES, "config/deploy.yml"), "utf8");

  it("loads config/deploy.yml as generated, with the defaults this layer documents", () => {
    const config = loadConfig({ cwd: project, env: {}, version: "1" });
    expect(config.service).toBe("my-app");
    expect(config.image).toBe("my-user/my-app");
    expect(config.role("web")!.hosts).toEqual(["192.168.0.1"]);
    // Deployable as generated: no host name or certificate to arrange first.
    expect(config.role("web")!.proxy!.deployOptions()).toMatchObject({ host: [] });
    expect(config.role("web")!.proxy!.deployOptions().tls).toBeFalsy();
    // No registry to arrange either: the hosts pull from this machine over SSH.
    expect(config.registry.local).toBe(true);
    expect(config.registry.localPort).toBe(5555);
    expect(config.registry.secretNameOf("password")).toBeUndefined();
    expect(config.builder.arches).toEqual(["amd64"]);
    expect(config.builder.usesGitClone).toBe(true);
    expect(config.retainContainers).toBe(5);
    expect(config.hooksPath).toBe(".kamal/hooks");
  });

  it("keeps its commented-out sections valid once uncommented", () => {
    const sections = commentedSections(template);
    for (const key of ["env:", "aliases:", "volumes:", "asset_path:", "boot:", "accessories:"]) expect(sections).toMatch(new RegExp(`^${key}`, "m"));
    writeFileSync(join(project, "config/deploy.yml"), `${template}\n${sections}\n`);
    try {
      const config = loadConfig({ cwd: project, env: {}, version: "1" });
      expect(Object.keys(config.aliases)).toEqual(["console", "shell", "logs"]);
      expect(config.accessories.map((accessory) => accessory.name)).toEqual(["db", "redis"]);
      expect(config.boot.limit).toBe(10);
    } finally {
      writeFileSync(join(project, "config/deploy.yml"), template);
    }
  });

  it("has an executable, valid sample for every hook", () => {
    for (const hook of HOOKS) {
      const file = join(TEMPLATES, ".kamal/hooks", `${hook}.sample`);
      expect(statSync(file).mode & 0o111).not.toBe(0);
      expect(readFileSync(file, "utf8")).toMatch(/^#!\/bin\/sh\n/);
      execFileSync("sh", ["-n", file]);
    }
  });

  it("ships a secrets sample that reads the registry password from the environment", () => {
    expect(readFileSync(join(TEMPLATES, ".kamal/secrets"), "utf8")).toContain("\nKAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n");
  });
});

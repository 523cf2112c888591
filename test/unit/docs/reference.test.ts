// docs/configuration.md and docs/commands.md are generated (npm run docs); CI fails here when the
// schema or the command tree changed and the committed files were not regenerated.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_REFERENCE, CONFIGURATION_REFERENCE, commandReference, configurationReference } from "../../../src/docs/reference.js";

const root = join(import.meta.dirname, "../../..");
const committed = (file: string): string => readFileSync(join(root, file), "utf8");

describe("the generated references", () => {
  it("docs/configuration.md is what the schema generates (run npm run docs)", () => {
    expect(committed(CONFIGURATION_REFERENCE), "docs/configuration.md is out of date: run npm run docs").toBe(configurationReference());
  });

  it("docs/commands.md is what the command tree generates (run npm run docs)", () => {
    expect(committed(COMMAND_REFERENCE), "docs/commands.md is out of date: run npm run docs").toBe(commandReference());
  });

  it("documents every key of a section and every visible command with its own options", () => {
    const configuration = configurationReference();
    expect(configuration).toContain("## proxy");
    expect(configuration).toMatch(/# Healthcheck[\s\S]*healthcheck:/);
    const commands = commandReference();
    expect(commands).toContain("## berth app exec");
    expect(commands).toMatch(/## berth app exec[\s\S]*?\| `--reuse` \| Reuse currently running container/);
    expect(commands).toMatch(/## berth demo[\s\S]*needs root/i);
    // Hidden commands (Kamal's internal ones) are not listed; global options are listed once.
    expect(commands).not.toContain("## berth app remove_container");
    expect(commands.match(/\| `--lock-wait` \|/g)).toHaveLength(1);
  });
});

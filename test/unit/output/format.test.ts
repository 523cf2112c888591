import { describe, expect, it } from "vitest";
import { createColors } from "../../../src/output/colors.js";
import {
  byHostBlock,
  commandMessage,
  dataMessage,
  errorLine,
  finishedMessage,
  formatLine,
  formatSeconds,
  runningMessage,
} from "../../../src/output/format.js";

const plain = createColors(false);
const colored = createColors(true);

describe("Kamal line formats (golden)", () => {
  it("pads the level to six characters and brackets the command id", () => {
    expect(formatLine(plain, "info", runningMessage(plain, "/usr/bin/env mkdir -p .kamal", "1.1.1.1"), "a1b2c3d4")).toBe(
      "  INFO [a1b2c3d4] Running /usr/bin/env mkdir -p .kamal on 1.1.1.1",
    );
    expect(formatLine(plain, "debug", commandMessage(plain, "/usr/bin/env mkdir -p .kamal"), "a1b2c3d4")).toBe(
      " DEBUG [a1b2c3d4] Command: /usr/bin/env mkdir -p .kamal",
    );
    expect(formatLine(plain, "warn", "Missing compatible builder")).toBe("  WARN Missing compatible builder");
    expect(formatLine(plain, "error", "boom")).toBe(" ERROR boom");
  });

  it("writes the finish line as SSHKit does, with three decimals", () => {
    expect(formatLine(plain, "info", finishedMessage(plain, 0.152, 0), "a1b2c3d4")).toBe(
      "  INFO [a1b2c3d4] Finished in 0.152 seconds with exit status 0 (successful).",
    );
    expect(finishedMessage(plain, 12.3456, 1)).toBe("Finished in 12.346 seconds with exit status 1 (failed).");
    expect(formatSeconds(0)).toBe("0.000");
  });

  it("shows `as user@host` for runs with a user (local hooks)", () => {
    expect(runningMessage(plain, ".kamal/hooks/pre-deploy", "localhost", "deployer")).toBe(
      "Running .kamal/hooks/pre-deploy as deployer@localhost",
    );
  });

  it("indents command output with a tab", () => {
    expect(formatLine(plain, "debug", dataMessage(plain, "hello", "stdout"), "0000ffff")).toBe(" DEBUG [0000ffff] \thello");
  });

  it("prints puts_by_host blocks with the host heading, and without it when quiet", () => {
    expect(byHostBlock("1.1.1.1", "app-web-123", "App", false)).toBe("App Host: 1.1.1.1\napp-web-123\n\n");
    expect(byHostBlock("1.1.1.2", "x", "Accessory mysql", false)).toBe("Accessory mysql Host: 1.1.1.2\nx\n\n");
    expect(byHostBlock("1.1.1.1", "app-web-123", "App", true)).toBe("app-web-123\n\n");
  });

  it("prints bin/kamal's error line in red", () => {
    expect(errorLine(plain, "Berth::Error", "nope")).toBe("  ERROR (Berth::Error): nope");
    expect(errorLine(colored, "Berth::Error", "nope")).toBe("\u001b[31m  ERROR (Berth::Error): nope\u001b[39m");
  });

  it("colours like SSHKit's Pretty formatter when colours are on", () => {
    const line = formatLine(colored, "info", runningMessage(colored, "docker ps", "h1"), "a1b2c3d4");
    expect(line).toContain("\u001b[34m  INFO\u001b[39m"); // blue level
    expect(line).toContain("[\u001b[32ma1b2c3d4\u001b[39m]"); // green id
    expect(line).toContain("\u001b[33m\u001b[1mdocker ps\u001b[22m\u001b[39m"); // yellow bold command
  });
});

// Kamal's run_over_ssh lines (from app_test.rb's "run over ssh" cases).
import { describe, expect, it } from "vitest";
import * as app from "../../../src/commands/app.js";
import { Redacted, cmd } from "../../../src/core/cmd.js";
import { overSsh } from "../../../src/commands/ssh.js";
import { KAMAL_BASE, configFrom } from "./helpers.js";

const withSsh = (ssh: string) => configFrom(`${KAMAL_BASE}ssh:\n${ssh}`);

describe("over ssh", () => {
  it.each([
    ["default", "", "ssh -t root@1.1.1.1 -p 22 'ls'"],
    ["custom user", "  user: app\n", "ssh -t app@1.1.1.1 -p 22 'ls'"],
    ["custom port", '  port: "2222"\n', "ssh -t root@1.1.1.1 -p 2222 'ls'"],
    ["proxy", "  proxy: 2.2.2.2\n", "ssh -J root@2.2.2.2 -t root@1.1.1.1 -p 22 'ls'"],
    ["proxy with user", "  proxy: app@2.2.2.2\n", "ssh -J app@2.2.2.2 -t root@1.1.1.1 -p 22 'ls'"],
    ["custom user with proxy", "  user: app\n  proxy: 2.2.2.2\n", "ssh -J root@2.2.2.2 -t app@1.1.1.1 -p 22 'ls'"],
    ["keys", "  keys:\n    - path_to_key.pem\n", "ssh -i path_to_key.pem -t root@1.1.1.1 -p 22 'ls'"],
    ["keys only", "  keys:\n    - path_to_key.pem\n  keys_only: true\n", "ssh -i path_to_key.pem -o IdentitiesOnly=yes -t root@1.1.1.1 -p 22 'ls'"],
    ["proxy command", '  proxy_command: "ssh -W %h:%p user@proxy-server"\n', "ssh -o ProxyCommand='ssh -W %h:%p user@proxy-server' -t root@1.1.1.1 -p 22 'ls'"],
    ["config file", "  config: ~/.ssh/custom_config\n", "ssh -F ~/.ssh/custom_config -t root@1.1.1.1 -p 22 'ls'"],
    ["config files", "  config:\n    - ~/.ssh/config1\n    - ~/.ssh/config2\n", "ssh -F ~/.ssh/config1 -F ~/.ssh/config2 -t root@1.1.1.1 -p 22 'ls'"],
    ["config false", "  config: false\n", "ssh -F /dev/null -t root@1.1.1.1 -p 22 'ls'"],
    ["config true", "  config: true\n", "ssh -t root@1.1.1.1 -p 22 'ls'"],
  ])("%s", (_name, ssh, expected) => {
    const config = ssh === "" ? configFrom(KAMAL_BASE) : withSsh(ssh);
    expect(overSsh(config, "1.1.1.1", cmd("ls"))).toBe(expected);
  });

  it("quotes a command with single quotes inside, as Kamal's follow logs do", () => {
    const config = configFrom(KAMAL_BASE);
    expect(overSsh(config, "app-1", app.followLogs(config, config.requireRole("web"), { containerId: "ID321" }))).toBe("ssh -t root@app-1 -p 22 'echo ID321 | xargs docker logs --timestamps --follow 2>&1'");
    expect(overSsh(config, "app-1", app.followLogs(config, config.requireRole("web")))).toBe(
      "ssh -t root@app-1 -p 22 'sh -c '\\''docker ps --latest --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=dhh/app:latest --format '\\''\\'\\'''\\''{{.ID}}'\\''\\'\\'''\\'') ; docker ps --latest --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting'\\'' | head -1 | xargs docker logs --timestamps --follow 2>&1'",
    );
  });

  it("refuses commands carrying secrets", () => {
    expect(() => overSsh(configFrom(KAMAL_BASE), "h", cmd("echo", new Redacted("s")))).toThrow(/secrets/);
  });
});

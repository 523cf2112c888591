// Golden tests for registry commands (Kamal's test/commands/registry_test.rb), with Berth's one
// deliberate difference: the password travels on stdin, never in the command line.
import { describe, expect, it } from "vitest";
import { Redacted, render } from "../../../src/core/cmd.js";
import * as registry from "../../../src/commands/registry.js";
import { BerthError } from "../../../src/util/errors.js";
import { configFrom, shown, text } from "./helpers.js";

const CONFIG = `service: app
image: dhh/app
registry:
  server: hub.docker.com
  username: dhh
  password: secret
builder:
  arch: amd64
servers:
  - 1.1.1.1
accessories:
  db:
    image: mysql:8.0
    hosts:
      - 1.1.1.1
    registry:
      server: other.hub.docker.com
      username: user
      password: pw
`;

const stdinOf = (command: { stdin?: Redacted | Buffer }): string | undefined => (command.stdin instanceof Redacted ? command.stdin.value : command.stdin?.toString());

describe("registry login", () => {
  it("logs in with the password on stdin", () => {
    const config = configFrom(CONFIG);
    const login = registry.login(config.registry);
    expect(shown(login)).toBe("docker login hub.docker.com -u [REDACTED] --password-stdin");
    expect(text(login)).toBe('docker login hub.docker.com -u "dhh" --password-stdin');
    expect(stdinOf(login)).toBe("secret");
    expect(render(login, { redact: false })).not.toContain("secret");
    expect(JSON.stringify(login)).not.toContain("secret");
  });

  it("logs in to an accessory's registry", () => {
    const config = configFrom(CONFIG);
    const login = registry.login(config.requireAccessory("db").registry!);
    expect(text(login)).toBe('docker login other.hub.docker.com -u "user" --password-stdin');
    expect(stdinOf(login)).toBe("pw");
  });

  it("reads username and password from secrets", () => {
    const config = configFrom(
      CONFIG.replace("  username: dhh\n  password: secret\n", "  username:\n    - KAMAL_REGISTRY_USERNAME\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n").replace(
        "      password: pw\n",
        "      password:\n        - KAMAL_MYSQL_REGISTRY_PASSWORD\n",
      ),
      { secrets: { KAMAL_REGISTRY_USERNAME: "also-secret", KAMAL_REGISTRY_PASSWORD: "more-secret'\"", KAMAL_MYSQL_REGISTRY_PASSWORD: "secret-pw" } },
    );
    const login = registry.login(config.registry);
    expect(shown(login)).toBe("docker login hub.docker.com -u [REDACTED] --password-stdin");
    expect(text(login)).toBe('docker login hub.docker.com -u "also-secret" --password-stdin');
    expect(stdinOf(login)).toBe("more-secret'\"");
    expect(text(login)).not.toContain("more-secret");
    const accessoryLogin = registry.login(config.requireAccessory("db").registry!);
    expect(stdinOf(accessoryLogin)).toBe("secret-pw");
    expect(text(accessoryLogin)).not.toContain("secret-pw");
  });

  it("escapes the username like Kamal", () => {
    const config = configFrom(CONFIG.replace("  username: dhh\n", "  username: \"d$h'h\"\n"));
    expect(text(registry.login(config.registry))).toBe("docker login hub.docker.com -u \"d\\$h'h\" --password-stdin");
  });

  it("logs in to Docker Hub without a server", () => {
    const config = configFrom(CONFIG.replace("  server: hub.docker.com\n", ""));
    expect(shown(registry.login(config.registry))).toBe("docker login -u [REDACTED] --password-stdin");
    expect(text(registry.logout(config.registry))).toBe("docker logout");
  });

  it("fails with a named error when the secret is missing", () => {
    const config = configFrom(CONFIG.replace("  password: secret\n", "  password:\n    - KAMAL_REGISTRY_PASSWORD\n"));
    expect(() => registry.login(config.registry)).toThrow(BerthError);
    expect(() => registry.login(config.registry)).toThrow(/registry\/password: secret KAMAL_REGISTRY_PASSWORD/);
  });
});

describe("registry logout and the local registry", () => {
  it("logs out", () => {
    const config = configFrom(CONFIG);
    expect(text(registry.logout(config.registry))).toBe("docker logout hub.docker.com");
    expect(text(registry.logout(config.requireAccessory("db").registry!))).toBe("docker logout other.hub.docker.com");
  });

  it("removes the local registry container Kamal starts (Berth starts none)", () => {
    expect(text(registry.removeLocal())).toBe("docker stop kamal-docker-registry && docker rm kamal-docker-registry");
  });

  it("reads the host's TCP sockets (why a forward was refused)", () => {
    expect(text(registry.tcpSockets())).toBe("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null");
  });
});

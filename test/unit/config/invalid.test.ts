// Invalid configurations: each must fail with Kamal's `path: message`, at the right line,
// with every problem listed and no stack trace in the message.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/index.js";
import type { ConfigIssue } from "../../../src/config/index.js";
import { BerthError } from "../../../src/util/errors.js";
import { BERTH_VERSION } from "../../../src/version.js";
import { BASE, FIXTURES, configError, fixture, fromText } from "./helpers.js";

/** 1-based line of the first line containing `needle` (after `after`, when given). */
function lineOf(text: string, needle: string, after = ""): number {
  const start = after === "" ? 0 : text.indexOf(after);
  const index = text.indexOf(needle, start);
  if (index === -1) throw new Error(`${needle} not in fixture`);
  return text.slice(0, index).split("\n").length;
}

function summary(issue: ConfigIssue): [string, number] {
  return [issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`, issue.line];
}

interface Case {
  readonly name: string;
  readonly yaml: string;
  /** Expected `path: message` and line, in order. */
  readonly issues: (yaml: string) => [string, number][];
  readonly env?: Record<string, string>;
}

const withServers = (servers: string): string => BASE.replace("servers:\n  - 1.1.1.1\n", servers);
const withoutKey = (key: string): string => BASE.split(/\n(?=\S)/).filter((block) => !block.startsWith(`${key}:`)).join("\n") + "\n";

const CASES: Case[] = [
  { name: "unknown root key", yaml: `${BASE}servrs: []\n`, issues: (y) => [["unknown key: servrs", lineOf(y, "servrs")]] },
  {
    name: "misspelled role key",
    yaml: withServers("servers:\n  web:\n    hostz:\n      - 1.1.1.1\n"),
    issues: (y) => [["servers/web: unknown key: hostz", lineOf(y, "hostz")]],
  },
  {
    name: "role logging driver not a string",
    yaml: withServers("servers:\n  web:\n    hosts:\n      - 1.1.1.1\n    logging:\n      driver:\n        - json-file\n"),
    issues: (y) => [["servers/web/logging/driver: should be a string", lineOf(y, "driver:")]],
  },
  { name: "registry password missing", yaml: BASE.replace("  password:\n    - KAMAL_REGISTRY_PASSWORD\n", ""), issues: (y) => [["registry/password: is required", lineOf(y, "registry:")]] },
  { name: "registry username missing", yaml: BASE.replace("  username: user\n", ""), issues: (y) => [["registry/username: is required", lineOf(y, "registry:")]] },
  { name: "registry missing", yaml: withoutKey("registry"), issues: () => [["registry: is required", 1]] },
  { name: "service missing", yaml: withoutKey("service"), issues: () => [["service: is required", 1]] },
  { name: "builder missing", yaml: withoutKey("builder"), issues: () => [["builder: Builder arch not set", 1]] },
  {
    name: "builder without arch",
    yaml: BASE.replace("  arch: amd64\n", "  driver: docker\n"),
    issues: (y) => [["builder: Builder arch not set", lineOf(y, "builder:")]],
  },
  {
    name: "service name with a space",
    yaml: BASE.replace("service: app", "service: my app"),
    issues: () => [["service: Service name can only include alphanumeric characters, hyphens, and underscores", 1]],
  },
  {
    name: "service a number (Kamal matches the raw value, which a number can't match)",
    yaml: BASE.replace("service: app", "service: 123"),
    issues: () => [["service: Service name can only include alphanumeric characters, hyphens, and underscores", 1]],
  },
  {
    name: "service a boolean",
    yaml: BASE.replace("service: app", "service: true"),
    issues: () => [["service: Service name can only include alphanumeric characters, hyphens, and underscores", 1]],
  },
  { name: "image not a string", yaml: BASE.replace("image: dhh/app", "image: [dhh/app]"), issues: () => [["image: should be a string", 2]] },
  { name: "servers a number", yaml: withServers("servers: 123\n"), issues: (y) => [["servers: should be an array or a hash", lineOf(y, "servers:")]] },
  {
    name: "two hosts in one list entry",
    yaml: withServers("servers:\n  - 1.1.1.1: a\n    1.1.1.2: b\n"),
    issues: (y) => [["servers/0: multiple hosts found", lineOf(y, "1.1.1.1: a")]],
  },
  {
    name: "host tag a map",
    yaml: withServers("servers:\n  - 1.1.1.1:\n      a: b\n"),
    issues: (y) => [["servers/0/1.1.1.1: should be a string or an array", lineOf(y, "1.1.1.1:")]],
  },
  {
    name: "role host a list",
    yaml: withServers("servers:\n  web:\n    hosts:\n      - [1.1.1.1]\n"),
    issues: (y) => [["servers/web/hosts/0: should be a string or a hash", lineOf(y, "[1.1.1.1]")]],
  },
  { name: "role a number", yaml: withServers("servers:\n  web: 5\n"), issues: (y) => [["servers/web: should be an array or a hash", lineOf(y, "web: 5")]] },
  {
    name: "role cmd a list",
    yaml: withServers("servers:\n  web:\n    hosts: [1.1.1.1]\n    cmd: [bin/web]\n"),
    issues: (y) => [["servers/web/cmd: should be a string", lineOf(y, "cmd:")]],
  },
  {
    name: "invalid restart policy",
    yaml: withServers("servers:\n  web:\n    hosts: [1.1.1.1]\n    options:\n      restart: sometimes\n"),
    issues: (y) => [
      ["servers/web/options/restart: invalid restart policy sometimes, should be no, always, unless-stopped or on-failure[:max-retries]", lineOf(y, "restart:")],
    ],
  },
  {
    name: "reserved role label",
    yaml: withServers("servers:\n  web:\n    hosts: [1.1.1.1]\n    labels:\n      role: frontend\n"),
    issues: (y) => [["servers/web/labels/role: invalid label. destination, role, and service are reserved labels", lineOf(y, "role: frontend")]],
  },
  {
    name: "reserved root label",
    yaml: `${BASE}labels:\n  service: other\n`,
    issues: (y) => [["labels/service: invalid label. destination, role, and service are reserved labels", lineOf(y, "service: other")]],
  },
  {
    name: "tags in a role env",
    yaml: withServers("servers:\n  web:\n    hosts: [1.1.1.1]\n    env:\n      tags:\n        a:\n          X: 1\n"),
    issues: (y) => [["servers/web/env: tags are only allowed in the root env", lineOf(y, "tags:")]],
  },
  {
    name: "clear env mixed with a flat key",
    yaml: `${BASE}env:\n  clear:\n    A: 1\n  FOO: bar\n`,
    issues: (y) => [["env: unknown key: FOO", lineOf(y, "FOO")]],
  },
  { name: "env clear a list", yaml: `${BASE}env:\n  clear:\n    - A\n`, issues: (y) => [["env/clear: should be a hash", lineOf(y, "clear:")]] },
  { name: "env secret a string", yaml: `${BASE}env:\n  secret: A\n`, issues: (y) => [["env/secret: should be an array", lineOf(y, "secret:")]] },
  { name: "flat env value a map", yaml: `${BASE}env:\n  A:\n    b: 1\n`, issues: (y) => [["env/A: should be a string", lineOf(y, "  A:")]] },
  { name: "env tag not a map", yaml: `${BASE}env:\n  tags:\n    a: 1\n`, issues: (y) => [["env/tags/a: should be a hash", lineOf(y, "a: 1")]] },
  { name: "root proxy false", yaml: `${BASE}proxy: false\n`, issues: (y) => [["proxy: should be a hash", lineOf(y, "proxy:")]] },
  { name: "app_port a string", yaml: `${BASE}proxy:\n  app_port: "3000"\n`, issues: (y) => [["proxy/app_port: should be an integer", lineOf(y, "app_port")]] },
  {
    name: "host and hosts",
    yaml: `${BASE}proxy:\n  host: a.example.com\n  hosts:\n    - b.example.com\n`,
    issues: (y) => [["proxy: Specify one of 'host' or 'hosts', not both", lineOf(y, "hosts:", "proxy:")]],
  },
  { name: "ssl without a host", yaml: `${BASE}proxy:\n  ssl: true\n`, issues: (y) => [["proxy: Must set a host to enable automatic SSL", lineOf(y, "ssl:")]] },
  {
    name: "certificate without key",
    yaml: `${BASE}proxy:\n  host: a.example.com\n  ssl:\n    certificate_pem: CERT\n`,
    issues: (y) => [["proxy: Missing private_key_pem setting (required when certificate_pem is present)", lineOf(y, "ssl:")]],
  },
  { name: "ssl a string", yaml: `${BASE}proxy:\n  host: a.example.com\n  ssl: "please"\n`, issues: (y) => [["proxy/ssl: should be a boolean or a hash", lineOf(y, "ssl:")]] },
  {
    name: "misspelled healthcheck key",
    yaml: `${BASE}proxy:\n  healthcheck:\n    paht: /up\n`,
    issues: (y) => [["proxy/healthcheck: unknown key: paht", lineOf(y, "paht")]],
  },
  {
    name: "buffer memory a string",
    yaml: `${BASE}proxy:\n  buffering:\n    memory: 1MB\n`,
    issues: (y) => [["proxy/buffering/memory: should be an integer", lineOf(y, "memory:")]],
  },
  {
    name: "ports without publishing",
    yaml: `${BASE}proxy:\n  run:\n    publish: false\n    http_port: 8080\n`,
    issues: (y) => [["proxy: Cannot set http_port, https_port or bind_ips when publish is false", lineOf(y, "publish:")]],
  },
  {
    name: "invalid bind IP",
    yaml: `${BASE}proxy:\n  run:\n    bind_ips:\n      - 127.0.0.1\n      - localhost\n`,
    issues: (y) => [["proxy/run/bind_ips/1: Invalid publish IP address: localhost", lineOf(y, "- localhost")]],
  },
  {
    name: "automatic SSL on two servers",
    yaml: withServers("servers:\n  - 1.1.1.1\n  - 1.1.1.2\n") + "proxy:\n  host: a.example.com\n  ssl: true\n",
    issues: (y) => [["proxy: SSL is only supported on a single server unless you provide custom certificates, found 2 servers for role web", lineOf(y, "ssl:")]],
  },
  {
    name: "two SSL roles on one host name",
    yaml: withServers(
      "servers:\n  web:\n    hosts: [1.1.1.1]\n  api:\n    hosts: [1.1.1.2]\n    proxy:\n      host: a.example.com\n      ssl: true\n",
    ) + "proxy:\n  host: a.example.com\n  ssl: true\n",
    issues: (y) => [["proxy: Different roles can't share the same host for SSL: a.example.com", lineOf(y, "proxy:\n  host")]],
  },
  {
    name: "conflicting proxy run settings on one host",
    yaml: withServers(
      "servers:\n  web:\n    hosts: [1.1.1.1]\n  api:\n    hosts: [1.1.1.1]\n    proxy:\n      host: api.example.com\n      run:\n        http_port: 8080\n",
    ) + "proxy:\n  host: a.example.com\n  run:\n    debug: true\n",
    // Roles come in name order (api, web): web's run, from the root proxy, is the odd one out.
    issues: (y) => [["proxy/run: Conflicting proxy run configurations for host 1.1.1.1", lineOf(y, "run:", "a.example.com\n  run")]],
  },
  {
    name: "accessory without hosts",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n`,
    issues: (y) => [["accessories/db: specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`", lineOf(y, "db:")]],
  },
  {
    name: "accessory with host and roles",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n    host: 1.1.1.9\n    roles: [web]\n`,
    issues: (y) => [["accessories/db: specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`", lineOf(y, "roles:")]],
  },
  {
    name: "accessory on an unknown role",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n    role: database\n`,
    issues: (y) => [["accessories/db/role: unknown role database", lineOf(y, "role: database")]],
  },
  {
    name: "accessory on unknown roles",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n    roles:\n      - web\n      - a\n      - b\n`,
    issues: (y) => [["accessories/db/roles: unknown roles a, b", lineOf(y, "roles:")]],
  },
  {
    name: "accessory port a list",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n    host: 1.1.1.9\n    port: [3306]\n`,
    issues: (y) => [["accessories/db/port: should be a string", lineOf(y, "port:")]],
  },
  {
    name: "misspelled accessory file key",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n    host: 1.1.1.9\n    files:\n      - local: a.cnf\n        remote: /etc/a.cnf\n        mod: "0644"\n`,
    issues: (y) => [["accessories/db/files/0: unknown key: mod", lineOf(y, "mod:")]],
  },
  {
    name: "accessory files a string",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n    host: 1.1.1.9\n    files: a.cnf:/etc/a.cnf\n`,
    issues: (y) => [["accessories/db/files: should be an array", lineOf(y, "files:")]],
  },
  {
    name: "tags in an accessory env",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n    host: 1.1.1.9\n    env:\n      tags: {}\n`,
    issues: (y) => [["accessories/db/env: tags are only allowed in the root env", lineOf(y, "tags:")]],
  },
  {
    name: "accessory registry without password",
    yaml: `${BASE}accessories:\n  db:\n    image: mysql:8\n    host: 1.1.1.9\n    registry:\n      server: ghcr.io\n      username: bot\n`,
    issues: (y) => [["accessories/db/registry/password: is required", lineOf(y, "registry:", "accessories")]],
  },
  {
    name: "alias name with a space",
    yaml: `${BASE}aliases:\n  Deploy Now: deploy\n`,
    issues: (y) => [["aliases/Deploy Now: Invalid alias name: 'Deploy Now'. Must only contain lowercase letters, alphanumeric, hyphens and underscores.", lineOf(y, "deploy", "aliases")]],
  },
  {
    name: "alias shadowing a command",
    yaml: `${BASE}aliases:\n  deploy: app boot\n`,
    issues: (y) => [["aliases/deploy: Alias 'deploy' conflicts with a built-in command.", lineOf(y, "app boot")]],
  },
  {
    name: "unknown hooks_output level",
    yaml: `${BASE}hooks_output: loud\n`,
    issues: (y) => [["hooks_output: Invalid hooks_output 'loud', must be one of: quiet, verbose", lineOf(y, "hooks_output")]],
  },
  {
    name: "unknown hooks_output level for one hook",
    yaml: `${BASE}hooks_output:\n  pre-deploy: loud\n`,
    issues: (y) => [["hooks_output/pre-deploy: Invalid hooks_output 'loud' for hook 'pre-deploy', must be one of: quiet, verbose", lineOf(y, "pre-deploy")]],
  },
  { name: "retain no containers", yaml: `${BASE}retain_containers: 0\n`, issues: (y) => [["retain_containers: Must retain at least 1 container", lineOf(y, "retain_containers")]] },
  { name: "fractional retain_containers", yaml: `${BASE}retain_containers: 2.5\n`, issues: (y) => [["retain_containers: should be an integer", lineOf(y, "retain_containers")]] },
  {
    name: "minimum version too new",
    yaml: `${BASE}minimum_version: 99.0.1\n`,
    issues: (y) => [
      [
        `minimum_version: Current version is 2.12.0, minimum required is 99.0.1 (minimum_version names a Kamal version: Berth ${BERTH_VERSION} does what Kamal 2.12.0 does)`,
        lineOf(y, "minimum_version"),
      ],
    ],
  },
  { name: "destination required", yaml: `${BASE}require_destination: true\n`, issues: (y) => [["require_destination: You must specify a destination", lineOf(y, "require_destination")]] },
  { name: "require_destination a string", yaml: `${BASE}require_destination: please\n`, issues: (y) => [["require_destination: should be a boolean", lineOf(y, "require_destination")]] },
  { name: "undefined primary role", yaml: `${BASE}primary_role: api\n`, issues: (y) => [["primary_role: The primary_role api isn't defined", lineOf(y, "primary_role")]] },
  {
    name: "primary role without hosts",
    yaml: withServers("servers:\n  web:\n    cmd: bin/web\n  jobs:\n    - 1.1.1.2\n"),
    issues: (y) => [["servers/web: No servers specified for the web primary_role", lineOf(y, "web:")]],
  },
  {
    name: "empty role",
    yaml: withServers("servers:\n  web:\n    - 1.1.1.1\n  workers: []\n"),
    issues: (y) => [["servers/workers: No servers specified for the workers role. You can ignore this with allow_empty_roles: true", lineOf(y, "workers:")]],
  },
  { name: "no servers and no accessories", yaml: withServers(""), issues: () => [["servers: No servers or accessories specified", 1]] },
  { name: "unknown cache type", yaml: `${BASE.replace("  arch: amd64\n", "  arch: amd64\n  cache:\n    type: s3\n")}`, issues: (y) => [["builder: Invalid cache type: s3", lineOf(y, "type: s3")]] },
  {
    name: "local builds disabled without a remote",
    yaml: BASE.replace("  arch: amd64\n", "  arch: amd64\n  local: false\n"),
    issues: (y) => [["builder: Cannot disable local builds, no remote is set", lineOf(y, "local:")]],
  },
  {
    name: "buildpacks for two arches",
    yaml: BASE.replace("  arch: amd64\n", "  arch: [amd64, arm64]\n  pack:\n    builder: heroku/builder:24\n"),
    issues: (y) => [["builder: buildpacks only support building for one arch", lineOf(y, "pack:")]],
  },
  { name: "arch a map", yaml: BASE.replace("  arch: amd64\n", "  arch:\n    a: 1\n"), issues: (y) => [["builder/arch: should be an array or a string", lineOf(y, "arch:")]] },
  {
    name: "local registry with an HTTPS remote builder",
    yaml: BASE.replace("registry:\n  username: user\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n", "registry:\n  server: localhost:5000\n").replace(
      "  arch: amd64\n",
      "  arch: amd64\n  remote: tcp://builder:2375\n",
    ),
    issues: (y) => [["builder/remote: Local registry with remote builder requires an SSH URL (e.g., ssh://user@host)", lineOf(y, "remote:")]],
  },
  {
    name: "two-element registry credential",
    yaml: BASE.replace("    - KAMAL_REGISTRY_PASSWORD\n", "    - A\n    - B\n"),
    issues: (y) => [["registry/password: should be a string or an array with one string (for secret lookup)", lineOf(y, "password:")]],
  },
  { name: "ssh port a list", yaml: `${BASE}ssh:\n  port: [22]\n`, issues: (y) => [["ssh/port: should be a string", lineOf(y, "port:")]] },
  { name: "ssh config a map", yaml: `${BASE}ssh:\n  config:\n    a: 1\n`, issues: (y) => [["ssh/config: should be a boolean or a string or an array", lineOf(y, "config:")]] },
  { name: "sshkit value a string", yaml: `${BASE}sshkit:\n  max_concurrent_starts: many\n`, issues: (y) => [["sshkit/max_concurrent_starts: should be an integer", lineOf(y, "max_concurrent")]] },
  { name: "boot limit nonsense", yaml: `${BASE}boot:\n  limit: half\n`, issues: (y) => [['boot/limit: should be a number of hosts or a percentage such as "25%"', lineOf(y, "limit:")]] },
  { name: "boot wait a string", yaml: `${BASE}boot:\n  wait: 2s\n`, issues: (y) => [["boot/wait: should be an integer", lineOf(y, "wait:")]] },
  { name: "logging options a list", yaml: `${BASE}logging:\n  options:\n    - max-size=10m\n`, issues: (y) => [["logging/options: should be a hash", lineOf(y, "options:")]] },
  { name: "misspelled output key", yaml: `${BASE}output:\n  fil:\n    path: /tmp\n`, issues: (y) => [["output: unknown key: fil", lineOf(y, "fil:")]] },
  {
    name: "x- key below the root",
    yaml: withServers("servers:\n  web:\n    hosts: [1.1.1.1]\n    x-notes: hi\n"),
    issues: (y) => [["servers/web: unknown key: x-notes", lineOf(y, "x-notes")]],
  },
  {
    name: "x-berth: a misspelled key, a wrong type, a release without its command",
    yaml: `${BASE}x-berth:\n  atomic: "yes"\n  doctr: {}\n  release:\n    timeout: 60\n`,
    issues: (y) => [
      ["x-berth/atomic: should be a boolean", lineOf(y, "atomic:")],
      ["x-berth: unknown key: doctr", lineOf(y, "doctr")],
      ["x-berth/release/cmd: is required", lineOf(y, "release:")],
    ],
  },
  { name: "label value a map", yaml: `${BASE}labels:\n  team:\n    a: b\n`, issues: (y) => [["labels/team: should be a string", lineOf(y, "team:")]] },
  { name: "volumes a string", yaml: `${BASE}volumes: /a:/b\n`, issues: (y) => [["volumes: should be an array", lineOf(y, "volumes:")]] },
  {
    name: "role hosts over a root host",
    yaml: withServers("servers:\n  web:\n    hosts: [1.1.1.1]\n    proxy:\n      hosts:\n        - b.example.com\n") + "proxy:\n  host: a.example.com\n",
    issues: (y) => [["servers/web/proxy: Specify one of 'host' or 'hosts', not both", lineOf(y, "hosts:", "proxy:")]],
  },
  {
    name: "ENV.fetch of an unset variable",
    yaml: BASE.replace("image: dhh/app", 'image: <%= ENV.fetch("IMAGE_NAME") %>'),
    issues: () => [['ERB: ENV.fetch("IMAGE_NAME"): environment variable IMAGE_NAME is not set', 2]],
  },
  {
    name: "ERB outside the subset, in a loop",
    yaml: `${BASE}<% [1, 2].each do |i| %>\nx<%= i %>: <%= Time.now %>\n<% end %>\n`,
    issues: () => [["ERB: unsupported Ruby: the constant Time (Berth's ERB evaluates a subset of Ruby: see `berth docs configuration`)", 12]],
  },
  {
    name: "ERB command failing",
    yaml: BASE.replace("  username: user", "  username: <%= %x(exit 3) %>"),
    issues: () => [["ERB: command `exit 3` exited with status 3", 6]],
  },
  { name: "YAML syntax error", yaml: `${BASE}env: [a\nimage: x\n`, issues: (y) => [["YAML syntax error: the [ that starts here is never closed (a ] is missing)", lineOf(y, "env: [")]] },
  { name: "a list instead of a map", yaml: "- service: app\n", issues: () => [["should contain a hash of settings", 1]] },
];

describe("invalid configurations", () => {
  it("has at least 45 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(45);
  });

  for (const testCase of CASES) {
    it(testCase.name, () => {
      const error = configError(() => fromText(testCase.yaml, testCase.env ? { env: testCase.env } : {}));
      expect(error).toBeInstanceOf(BerthError);
      expect(error.kind).toBe("Kamal::ConfigurationError");
      expect(error.issues.map(summary)).toEqual(testCase.issues(testCase.yaml));
      for (const issue of error.issues) expect(issue.file).toBe("config/deploy.yml");
      // User errors carry no stack trace text in their message.
      expect(error.message).not.toMatch(/\n\s+at /);
      expect(error.message).not.toContain(".ts:");
    });
  }
});

describe("error reporting", () => {
  it("lists every problem at once, sorted by line, with positions and suggestions", () => {
    const yaml = `${BASE.replace("  password:\n    - KAMAL_REGISTRY_PASSWORD\n", "")}readiness_dela: 3\nproxy:\n  app_prot: 3000\n`;
    const error = configError(() => fromText(yaml));
    expect(error.issues.map(summary)).toEqual([
      ["registry/password: is required", lineOf(yaml, "registry:")],
      ["unknown key: readiness_dela", lineOf(yaml, "readiness_dela")],
      ["proxy: unknown key: app_prot", lineOf(yaml, "app_prot")],
    ]);
    expect(error.issues.map((issue) => issue.suggestion)).toEqual([undefined, "readiness_delay", "app_port"]);
    expect(error.issues[2]!.column).toBe(3);
    expect(error.message).toBe(
      [
        "3 configuration problems:",
        `  config/deploy.yml:5:1: registry/password: is required`,
        `  config/deploy.yml:9:1: unknown key: readiness_dela (did you mean "readiness_delay"?)`,
        `  config/deploy.yml:11:3: proxy: unknown key: app_prot (did you mean "app_port"?)`,
      ].join("\n"),
    );
  });

  it("names the destination file for keys it sets", () => {
    const error = configError(() =>
      fromText(BASE, { destination: "staging", destinationText: "servers:\n  web:\n    hostz: [1.1.1.1]\n" }),
    );
    expect(error.issues).toEqual([
      { path: "servers/web", message: "unknown key: hostz", file: "config/deploy.staging.yml", line: 3, column: 5, suggestion: "hosts" },
    ]);
  });

  it("points at the anchor's content for a merged mistake", () => {
    const yaml = `x-defaults: &defaults\n  cmd:\n    - bad\n${withServers("servers:\n  web:\n    <<: *defaults\n    hosts: [1.1.1.1]\n")}`;
    const error = configError(() => fromText(yaml));
    expect(error.issues.map(summary)).toEqual([["servers/web/cmd: should be a string", 2]]);
  });

  it("names a missing config file", () => {
    const error = configError(() => loadConfig({ cwd: FIXTURES, configFile: "config/nope.yml" }));
    expect(error.message).toBe("Configuration file not found in config/nope.yml");
    expect(error.issues[0]!.file).toBe("config/nope.yml");
  });

  it("names the expected destination file", () => {
    const error = configError(() => fixture("destinations", { destination: "qa" }));
    expect(error.message).toBe("Configuration file for destination qa not found in destinations.qa.yml");
  });

  it("reports configuration checks from a destination file", () => {
    const error = configError(() => fixture("destinations"));
    expect(error.issues.map(summary)).toEqual([["require_destination: You must specify a destination", 4]]);
  });

  describe("with old Traefik hooks", () => {
    const project = mkdtempSync(join(tmpdir(), "berth-config-"));
    afterAll(() => rmSync(project, { recursive: true, force: true }));

    it("asks to rename them", () => {
      mkdirSync(join(project, "config"));
      mkdirSync(join(project, ".kamal/hooks"), { recursive: true });
      writeFileSync(join(project, "config/deploy.yml"), BASE);
      writeFileSync(join(project, ".kamal/hooks/pre-traefik-reboot"), "#!/bin/sh\n");
      const error = configError(() => loadConfig({ cwd: project, env: {}, version: "1" }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.issues.map(summary)).toEqual([["Found pre-traefik-reboot, these should be renamed to (pre|post)-proxy-reboot", 1]]);
    });
  });
});

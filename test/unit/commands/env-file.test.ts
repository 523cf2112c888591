// Golden tests for env files (Kamal's env_file_test.rb) and the role/accessory secret env files.
import { describe, expect, it } from "vitest";
import { Redacted } from "../../../src/core/cmd.js";
import { accessoryEnvFile, envFileContent, escapeEnvFileValue, roleEnvFile } from "../../../src/commands/env-file.js";
import { BerthError } from "../../../src/util/errors.js";
import { configFrom, fixtureConfig } from "./helpers.js";

describe("env file content", () => {
  it.each([
    ["plain values", { foo: "bar", baz: "haz" }, "foo=bar\nbaz=haz\n"],
    ["Chinese kept raw", { foo: "你好", bar: "bar" }, "foo=你好\nbar=bar\n"],
    [
      "mixed ASCII and non-ASCII, quotes literal",
      { foo: '你好 means hello, "欢迎" means welcome, that\'s simple! 😃 {smile}' },
      'foo=你好 means hello, "欢迎" means welcome, that\'s simple! 😃 {smile}\n',
    ],
    ["# left alone", { foo: "#$foo", bar: "#{bar}", baz: "#@baz" }, "foo=#$foo\nbar=#{bar}\nbaz=#@baz\n"],
    ["newlines and tabs escaped", { foo: "hello\nworld", tab: "a\tb", cr: "a\r\nb" }, "foo=hello\\nworld\ntab=a\\tb\ncr=a\\r\\nb\n"],
    ["backslashes doubled", { path: "C:\\dir" }, "path=C:\\\\dir\n"],
    ["control characters as \\x", { bell: "\x07", esc: "\x1b", nul: "\x00", del: "\x7f" }, "bell=\\a\nesc=\\e\nnul=\\x00\ndel=\\x7F\n"],
    ["$ and backticks untouched (Docker reads the file literally)", { cmd: "$(id) `id` ${X}" }, "cmd=$(id) `id` ${X}\n"],
    ["empty env is a newline", {}, "\n"],
    ["an empty value", { EMPTY: "" }, "EMPTY=\n"],
  ])("%s", (_name, env, expected) => {
    expect(envFileContent(env)).toBe(expected);
  });

  it("escapes an escaped quote the way Ruby's gsub does", () => {
    expect(escapeEnvFileValue('a\\"b')).toBe('a\\\\"b');
  });
});

describe("role and accessory env files", () => {
  it("holds the role's secrets, aliased names resolved, redacted when shown", () => {
    const config = fixtureConfig("roles", { secrets: { RAILS_MASTER_KEY: "mk", MAIN_DB_PASSWORD: "pw\"1", WORKER_TOKEN: "wt", KAMAL_REGISTRY_PASSWORD: "r" } });
    const web = roleEnvFile(config, config.requireRole("web"), "1.1.1.1");
    expect(web).toBeInstanceOf(Redacted);
    expect(web.value).toBe('RAILS_MASTER_KEY=mk\nDB_PASSWORD=pw"1\n');
    expect(String(web)).toBe("[REDACTED env file]");
    expect(JSON.stringify({ web })).not.toContain("mk");
    expect(roleEnvFile(config, config.requireRole("workers"), "1.1.1.3").value).toBe('RAILS_MASTER_KEY=mk\nDB_PASSWORD=pw"1\nWORKER_TOKEN=wt\n');
  });

  it("adds the secrets of the host's tags", () => {
    const config = fixtureConfig("env-tags", { secrets: { ROOT_SECRET: "r", BETA_SECRET: "b" } });
    const web = config.requireRole("web");
    expect(roleEnvFile(config, web, "1.1.1.1").value).toBe("ROOT_SECRET=r\n");
    expect(roleEnvFile(config, web, "1.1.1.2").value).toBe("ROOT_SECRET=r\nBETA_SECRET=b\n");
  });

  it("is a newline for a role without secrets", () => {
    const config = configFrom("service: app\nimage: dhh/app\nservers:\n  - 1.1.1.1\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n");
    expect(roleEnvFile(config, config.requireRole("web"), "1.1.1.1").value).toBe("\n");
  });

  it("holds an accessory's secrets", () => {
    const config = fixtureConfig("accessories", { secrets: { MYSQL_ROOT_PASSWORD: "root pw" } });
    expect(accessoryEnvFile(config, config.requireAccessory("mysql")).value).toBe("MYSQL_ROOT_PASSWORD=root pw\n");
    expect(accessoryEnvFile(config, config.requireAccessory("redis")).value).toBe("\n");
  });

  it("names what is missing when no secrets were loaded", () => {
    const config = fixtureConfig("roles");
    expect(() => roleEnvFile(config, config.requireRole("web"), "1.1.1.1")).toThrow(BerthError);
    expect(() => roleEnvFile(config, config.requireRole("web"), "1.1.1.1")).toThrow(/servers\/web\/env: secrets RAILS_MASTER_KEY, MAIN_DB_PASSWORD are needed/);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as appActions from "../../../src/cli/actions/app.js";
import * as buildActions from "../../../src/cli/actions/build.js";
import * as mainActions from "../../../src/cli/actions/main.js";
import * as proxyActions from "../../../src/cli/actions/proxy.js";
import type { CommandContext } from "../../../src/core/context.js";
import { Redacted } from "../../../src/core/cmd.js";
import { BerthError } from "../../../src/util/errors.js";
import { fakeConfiguration, run } from "./run.js";

vi.mock("../../../src/cli/actions/app.js", async (importOriginal) => ({
  ...(await importOriginal<typeof appActions>()),
  boot: vi.fn(),
  exec: vi.fn(),
  logs: vi.fn(),
}));
vi.mock("../../../src/cli/actions/build.js", async (importOriginal) => ({
  ...(await importOriginal<typeof buildActions>()),
  push: vi.fn(),
}));
vi.mock("../../../src/cli/actions/main.js", async (importOriginal) => ({
  ...(await importOriginal<typeof mainActions>()),
  deploy: vi.fn(),
}));
vi.mock("../../../src/cli/actions/proxy.js", async (importOriginal) => ({
  ...(await importOriginal<typeof proxyActions>()),
  bootConfig: vi.fn(),
}));

const boot = vi.mocked(appActions.boot);
const exec = vi.mocked(appActions.exec);
const logs = vi.mocked(appActions.logs);
const push = vi.mocked(buildActions.push);
const deploy = vi.mocked(mainActions.deploy);
const bootConfig = vi.mocked(proxyActions.bootConfig);

beforeEach(() => {
  vi.clearAllMocks();
});

function contextOf(mock: { mock: { calls: unknown[][] } }): CommandContext {
  return mock.mock.calls[0]![0] as CommandContext;
}

describe("berth version", () => {
  it("prints Berth's version", async () => {
    expect(await run(["version"])).toMatchObject({ code: 0, stdout: "0.1.0\n", stderr: "" });
    expect(await run(["--version"])).toMatchObject({ code: 0, stdout: "0.1.0\n" });
  });

  it("prints a JSON document with --output json", async () => {
    expect(await run(["version", "--output", "json"])).toMatchObject({ code: 0, stdout: '{"version":"0.1.0"}\n' });
  });
});

describe("help", () => {
  it("lists the commands for a bare `berth`, and succeeds", async () => {
    const result = await run([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: berth");
    expect(result.stdout).toContain("deploy [options]");
  });

  it("lists a group's commands for `berth app`, and succeeds", async () => {
    const result = await run(["app", "-v"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("Usage: berth app [options] [command]");
    expect(result.stdout).toContain("stale_containers|stale-containers");
  });

  it("answers --help and `help <command...>` at any depth; -h is --hosts, not help", async () => {
    const nested = await run(["help", "app", "exec"]);
    expect(nested.code).toBe(0);
    expect(nested.stdout).toContain("Usage: berth app exec [options] [cmd...]");
    const groupHelp = await run(["app", "help", "logs"]);
    expect(groupHelp.stdout).toContain("Usage: berth app logs [options]");
    const option = await run(["proxy", "boot_config", "--help"]);
    expect(option.stdout).toContain("--publish-host-ip <ip>");
    expect(option.stdout).toContain("Global options:");
    const hosts = await run(["app", "boot", "-h", "1.1.1.1"]);
    expect(hosts.stdout).not.toContain("Usage:");
    expect(contextOf(boot).globals.hosts).toEqual(["1.1.1.1"]);
  });
});

describe("global options", () => {
  it("splits -r and -h on commas and keeps wildcards", async () => {
    const result = await run(["app", "boot", "-r", "web,workers", "-h", "10.0.0.*,10.0.1.5"]);
    expect(result.code).toBe(0);
    const { globals } = contextOf(boot);
    expect(globals.roles).toEqual(["web", "workers"]);
    expect(globals.hosts).toEqual(["10.0.0.*", "10.0.1.5"]);
  });

  it("reads them before the group, between group and command, and after the command", async () => {
    await run(["-d", "staging", "app", "-p", "boot", "--version", "abc123", "-H", "--lock-wait", "--lock-wait-timeout", "60"]);
    const context = contextOf(boot);
    expect(context.globals).toMatchObject({
      destination: "staging",
      primary: true,
      version: "abc123",
      skipHooks: true,
      lockWait: true,
      lockWaitTimeout: 60,
      lockWaitInterval: 15,
      configFile: "config/deploy.yml",
      verbose: false,
      quiet: false,
      output: "text",
    });
    expect(context.command).toBe("app");
    expect(context.subcommand).toBe("boot");
  });

  it("accepts the --no- forms Thor accepts", async () => {
    await run(["app", "boot", "-p", "--no-primary", "--skip-hooks", "--no-skip-hooks"]);
    expect(contextOf(boot).globals).toMatchObject({ primary: false, skipHooks: false });
  });

  it("takes --output from BERTH_OUTPUT, a flag beating the environment", async () => {
    await run(["app", "boot"], { env: { BERTH_OUTPUT: "json" } });
    expect(contextOf(boot).output.format).toBe("json");
    boot.mockClear();
    await run(["app", "boot", "--output", "text"], { env: { BERTH_OUTPUT: "json" } });
    expect(contextOf(boot).output.format).toBe("text");
  });

  it("maps -v and -q to the output's verbosity", async () => {
    await run(["app", "boot", "-v"]);
    expect(contextOf(boot).output.verbosity).toBe("debug");
    boot.mockClear();
    await run(["app", "boot", "-q"]);
    expect(contextOf(boot).output.verbosity).toBe("error");
  });
});

describe("command options", () => {
  it("passes deploy's options, accepting Thor's --skip_push spelling", async () => {
    await run(["deploy", "--skip_push", "--no-cache", "--plan", "--resolve-commands"]);
    expect(deploy.mock.calls[0]![1]).toEqual({ skipPush: true, cache: false, plan: true, resolveCommands: true, skipRelease: false });
    deploy.mockClear();
    await run(["deploy", "-P"]);
    expect(deploy.mock.calls[0]![1]).toEqual({ skipPush: true, cache: true, plan: false, resolveCommands: false, skipRelease: false });
  });

  it("passes app exec's command words, unknown options included, and Thor-style -e pairs", async () => {
    await run(["app", "exec", "-e", "A:1", "B:two:parts", "--reuse", "ls", "-la"]);
    const [, command, options] = exec.mock.calls[0]!;
    expect(command).toEqual(["ls", "-la"]);
    expect(options).toMatchObject({ env: { A: "1", B: "two:parts" }, reuse: true, interactive: false, detach: false, raw: false });
  });

  it("parses numbers and rejects what is not one", async () => {
    await run(["app", "logs", "-n", "20", "-f", "--grep_options", "-i"]);
    expect(logs.mock.calls[0]![1]).toMatchObject({ lines: 20, follow: true, grepOptions: "-i", skipTimestamps: false });
    const bad = await run(["app", "logs", "-n", "twenty"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error: option '-n, --lines <lines>' argument 'twenty' is invalid");
  });

  it("passes proxy boot_config's options with their Kamal defaults", async () => {
    await run(["proxy", "boot_config", "set", "--no-publish", "--publish-host-ip", "10.0.0.1", "--publish-host-ip", "10.0.0.2", "--http-port", "8080", "--docker-options", "label=a", "sysctl=b"]);
    const [, subcommand, options] = bootConfig.mock.calls[0]!;
    expect(subcommand).toBe("set");
    expect(options).toEqual({
      publish: false,
      publishHostIp: ["10.0.0.1", "10.0.0.2"],
      httpPort: 8080,
      httpsPort: 443,
      logMaxSize: "10m",
      registry: undefined,
      repository: undefined,
      imageVersion: undefined,
      metricsPort: undefined,
      debug: false,
      dockerOptions: ["label=a", "sysctl=b"],
    });
    const wrong = await run(["proxy", "boot_config", "sett"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("Allowed choices are set, get, reset");
  });

  it("keeps build push's --output for buildx, except text/json which pick the output format", async () => {
    await run(["build", "push", "--output", "docker"]);
    expect(push.mock.calls[0]![1]).toEqual({ output: "docker", cache: true });
    expect(contextOf(push).output.format).toBe("text");
    push.mockClear();
    await run(["build", "push", "--output", "json"]);
    expect(push.mock.calls[0]![1]).toEqual({ output: "registry", cache: true });
    expect(contextOf(push).output.format).toBe("json");
  });

  it("requires lock acquire's message", async () => {
    const result = await run(["lock", "acquire"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: required option '-m, --message <message>' not specified\n");
  });
});

describe("unknown commands and options", () => {
  it("prints commander's error with a suggestion", async () => {
    const command = await run(["deplyo"]);
    expect(command).toMatchObject({ code: 1, stdout: "" });
    expect(command.stderr).toBe("error: unknown command 'deplyo'\n(Did you mean deploy?)\n");
    const option = await run(["deploy", "--skip-pus"]);
    expect(option.code).toBe(1);
    expect(option.stderr).toBe("error: unknown option '--skip-pus'\n(Did you mean --skip-push?)\n");
    const hosts = await run(["deploy", "-h"]);
    expect(hosts.stderr).toBe("error: option '-h, --hosts <hosts>' argument missing\n(-h is --hosts, as in Kamal; help is --help)\n");
    const subcommand = await run(["app", "bot"]);
    expect(subcommand.stderr).toContain("(Did you mean boot?)");
  });
});

describe("aliases", () => {
  const withAliases = fakeConfiguration(
    { service: "app" },
    {
      aliases: {
        console: 'app exec -i --reuse "bin/rails console"',
        rails: "app exec --reuse -p rails",
        other_config: "config -c config/deploy2.yml",
      },
    },
  );
  const configs = { "config/deploy.yml": withAliases, "config/deploy2.yml": fakeConfiguration({ service: "app2" }) };

  it("runs the alias's command", async () => {
    const result = await run(["console"], { configs });
    expect(result.code).toBe(0);
    const [context, command, options] = exec.mock.calls[0]!;
    expect(command).toEqual(["bin/rails console"]);
    expect(options).toMatchObject({ interactive: true, reuse: true });
    expect((context as CommandContext).command).toBe("app");
  });

  it("appends the extra arguments and options", async () => {
    await run(["rails", "db:migrate:status", "-r", "workers"], { configs });
    const [context, command] = exec.mock.calls[0]!;
    expect(command).toEqual(["rails", "db:migrate:status"]);
    expect((context as CommandContext).globals).toMatchObject({ primary: true, roles: ["workers"] });
  });

  it("follows an alias's own -c", async () => {
    const result = await run(["other_config"], { configs });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('---\n:service: "app2"\n');
    expect(result.loads.map((load) => load.configFile)).toEqual(["config/deploy.yml", "config/deploy2.yml"]);
  });

  it("reads aliases from the config chosen with -c/-d on the command line", async () => {
    const result = await run(["-c", "config/deploy2.yml", "console"], { configs });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: unknown command 'console'");
    expect(result.loads[0]).toMatchObject({ configFile: "config/deploy2.yml" });
  });

  it("reports a broken config that exists rather than calling the alias unknown", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "berth-cli-"));
    mkdirSync(join(cwd, "config"));
    writeFileSync(join(cwd, "config/deploy.yml"), "service: [\n");
    const result = await run(["console"], { cwd });
    rmSync(cwd, { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("  ERROR (Kamal::ConfigurationError): Configuration file not found in config/deploy.yml\n");
  });
});

describe("errors", () => {
  const refused = (): BerthError => new BerthError("The app version 'x' is not available as a container", "Berth::RollbackError");

  it("prints a BerthError as Kamal does, without a stack", async () => {
    boot.mockRejectedValueOnce(refused());
    const result = await run(["app", "boot"]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe("  ERROR (Berth::RollbackError): The app version 'x' is not available as a container\n");
  });

  it("adds the stack with -v", async () => {
    boot.mockRejectedValueOnce(refused());
    const result = await run(["app", "boot", "-v"]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("  ERROR (Berth::RollbackError): The app version 'x' is not available as a container");
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((line) => /^\s+at /.test(line))).toBe(true);
  });

  it("prints other errors (bugs) with their stack even without -v", async () => {
    boot.mockRejectedValueOnce(new TypeError("Cannot read properties of undefined"));
    const result = await run(["app", "boot"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ {2}ERROR \(TypeError\): Cannot read properties of undefined\n\s+at /);
  });

  it("prints configuration errors with all their issues", async () => {
    const issues = "2 configuration problems:\n  config/deploy.yml:1:1: service: is required\n  config/deploy.yml:3:3: servers/web: unknown key: hostz";
    boot.mockRejectedValueOnce(new BerthError(issues, "Kamal::ConfigurationError"));
    const result = await run(["app", "boot"]);
    expect(result.stderr).toBe(`  ERROR (Kamal::ConfigurationError): ${issues}\n`);
  });

  it("runs cleanup handlers (lock release) before the error is printed", async () => {
    boot.mockImplementationOnce(async (context) => {
      context.onExit(() => context.output.say("Releasing the deploy lock..."));
      throw new BerthError("boot failed");
    });
    const result = await run(["app", "boot"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("Releasing the deploy lock...\n");
    expect(result.stderr).toBe("  ERROR (Berth::Error): boot failed\n");
  });

  it("prints usage errors as JSON events with --output json", async () => {
    const result = await run(["deploy", "--bogus", "--output", "json"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ event: "error", kind: "Berth::UsageError", message: "error: unknown option '--bogus'" });
  });

  it("prints the error as a JSON event with --output json", async () => {
    boot.mockRejectedValueOnce(refused());
    const result = await run(["app", "boot", "--output", "json"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ event: "error", kind: "Berth::RollbackError" });
  });
});

describe("context", () => {
  it("loads the configuration once, for -c/-d/--version", async () => {
    boot.mockImplementationOnce(async (context) => {
      await context.config();
      await context.config();
    });
    const result = await run(["app", "boot", "-d", "staging", "--version", "v9"], { configs: { "config/deploy.yml": fakeConfiguration({}) } });
    expect(result.code).toBe(0);
    expect(result.loads).toEqual([{ configFile: "config/deploy.yml", destination: "staging", version: "v9" }]);
  });

  it("registers secret values with the output when secrets are loaded", async () => {
    const secrets = { get: () => "", has: () => true, all: () => ({ DB_PASSWORD: "hunter2-password" }), files: [] };
    boot.mockImplementationOnce(async (context) => {
      await context.secrets();
      context.output.print("connecting with hunter2-password");
    });
    const result = await run(["app", "boot"], { configs: { "config/deploy.yml": fakeConfiguration({}, { secrets }) } });
    expect(result.stdout).toBe("connecting with [REDACTED]\n");
  });
});

describe("berth config", () => {
  const document = {
    service: "app",
    servers: ["1.1.1.1", "1.1.1.2"],
    registry: { username: "dhh", password: new Redacted("s3cret-password") },
    absent: undefined,
  };
  const configs = { "config/deploy.yml": fakeConfiguration(document) };

  it("prints the configuration layer's YAML (Kamal's to_h.to_yaml)", async () => {
    const result = await run(["config"], { configs });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(configs["config/deploy.yml"].toYaml());
  });

  it("prints one line of JSON with --output json, Redacted values as [REDACTED]", async () => {
    const result = await run(["config", "--output", "json"], { configs });
    expect(result.stdout.split("\n")).toHaveLength(2);
    expect(JSON.parse(result.stdout)).toEqual({
      service: "app",
      servers: ["1.1.1.1", "1.1.1.2"],
      registry: { username: "dhh", password: "[REDACTED]" },
    });
  });

  it("uses -c and -d", async () => {
    const result = await run(["config", "-c", "other.yml", "-d", "staging"], { configs: { "other.yml": fakeConfiguration({ service: "x" }) } });
    expect(result.stdout).toBe('---\n:service: "x"\n');
    expect(result.loads).toEqual([{ configFile: "other.yml", destination: "staging", version: undefined }]);
  });
});

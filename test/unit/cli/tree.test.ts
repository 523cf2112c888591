// The command tree against Kamal 2's CLI (lib/kamal/cli/*.rb): every command, argument and
// option, written out here independently of the code that builds the tree.

import type { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { allCommands, buildProgram } from "../../../src/cli/program.js";
import { berthSchema } from "../../../src/config/schema/berth.js";
import { documentationOf, unwrap } from "../../../src/config/schema/meta.js";
import type { z } from "zod";

type OptionSpec = string; // "-P/--skip-push" (boolean) or "--output <value>" (takes a value)
interface CommandSpec {
  readonly path: string;
  /** `<name>` required, `[name]` optional, `[name...]` variadic. */
  readonly args?: readonly string[];
  readonly options?: readonly OptionSpec[];
  readonly hidden?: boolean;
}

const DEPLOY_OPTIONS = ["-P/--skip-push", "--no-cache"];
const LOGS = ["-s/--since <v>", "-n/--lines <v>", "-g/--grep <v>", "--grep-options <v>", "-f/--follow", "-T/--skip-timestamps"];
const CONFIRMED = "-y/--confirmed";
const REGISTRY = ["-L/--skip-local", "-R/--skip-remote"];

const KAMAL_COMMANDS: readonly CommandSpec[] = [
  { path: "setup", options: DEPLOY_OPTIONS },
  { path: "deploy", options: [...DEPLOY_OPTIONS, "--plan"] },
  { path: "redeploy", options: DEPLOY_OPTIONS },
  { path: "rollback", args: ["<version>"] },
  { path: "details" },
  { path: "audit" },
  { path: "config" },
  { path: "docs", args: ["[section]"] },
  { path: "init", options: ["--bundle"] },
  { path: "remove", options: [CONFIRMED] },
  { path: "upgrade", options: [CONFIRMED, "--rolling"] },
  { path: "version" },
  { path: "schema" },
  { path: "doctor", options: ["--min-free-disk-gb <v>", "--max-clock-skew <v>"] },
  { path: "demo", options: ["--down"] },

  { path: "app boot" },
  { path: "app start" },
  { path: "app stop" },
  { path: "app details" },
  { path: "app exec", args: ["[cmd...]"], options: ["-i/--interactive", "--reuse", "-e/--env <v>", "--detach", "--raw"] },
  { path: "app containers" },
  { path: "app stale_containers", options: ["-s/--stop"] },
  { path: "app images" },
  { path: "app logs", options: [...LOGS, "--container-id <v>"] },
  { path: "app remove" },
  { path: "app live" },
  { path: "app maintenance", options: ["--drain-timeout <v>", "--message <v>"] },
  { path: "app version" },
  { path: "app remove_container", args: ["<version>"], hidden: true },
  { path: "app remove_containers", hidden: true },
  { path: "app remove_images", hidden: true },
  { path: "app remove_app_directories", hidden: true },

  { path: "accessory boot", args: ["<name>"] },
  { path: "accessory reboot", args: ["<name>"] },
  { path: "accessory start", args: ["<name>"] },
  { path: "accessory stop", args: ["<name>"] },
  { path: "accessory restart", args: ["<name>"] },
  { path: "accessory details", args: ["<name>"] },
  { path: "accessory exec", args: ["<name>", "[cmd...]"], options: ["-i/--interactive", "--reuse", "--raw"] },
  { path: "accessory logs", args: ["<name>"], options: LOGS },
  { path: "accessory remove", args: ["<name>"], options: [CONFIRMED] },
  { path: "accessory upgrade", args: ["<name>"], options: ["--rolling", CONFIRMED] },
  { path: "accessory upload", args: ["<name>"], hidden: true },
  { path: "accessory directories", args: ["<name>"], hidden: true },
  { path: "accessory pull_image", args: ["<name>"], hidden: true },
  { path: "accessory remove_container", args: ["<name>"], hidden: true },
  { path: "accessory remove_image", args: ["<name>"], hidden: true },
  { path: "accessory remove_service_directory", args: ["<name>"], hidden: true },

  { path: "build deliver" },
  { path: "build push", options: ["--output <v>", "--no-cache"] },
  { path: "build pull" },
  { path: "build create" },
  { path: "build remove" },
  { path: "build details" },
  { path: "build dev", options: ["--output <v>", "--no-cache"] },

  { path: "proxy boot" },
  {
    path: "proxy boot_config",
    args: ["<subcommand>"],
    options: [
      "--publish",
      "--no-publish",
      "--publish-host-ip <v>",
      "--http-port <v>",
      "--https-port <v>",
      "--log-max-size <v>",
      "--registry <v>",
      "--repository <v>",
      "--image-version <v>",
      "--metrics-port <v>",
      "--debug",
      "--docker-options <v>",
    ],
  },
  { path: "proxy reboot", options: ["--rolling", CONFIRMED] },
  { path: "proxy upgrade", options: ["--rolling", CONFIRMED], hidden: true },
  { path: "proxy start" },
  { path: "proxy stop" },
  { path: "proxy restart" },
  { path: "proxy details" },
  { path: "proxy logs", options: LOGS.filter((option) => !option.startsWith("--grep-options")) },
  { path: "proxy remove", options: ["--force"] },
  { path: "proxy remove_container", hidden: true },
  { path: "proxy remove_image", hidden: true },
  { path: "proxy remove_proxy_directory", hidden: true },

  { path: "prune all" },
  { path: "prune images" },
  { path: "prune containers", options: ["--retain <v>"] },

  { path: "registry setup", options: REGISTRY },
  { path: "registry remove", options: REGISTRY },
  { path: "registry login", options: REGISTRY },
  { path: "registry logout", options: REGISTRY },

  { path: "secrets fetch", args: ["[secrets...]"], options: ["-a/--adapter <v>", "--account <v>", "--from <v>", "--inline"] },
  { path: "secrets extract", args: ["<name>", "<secrets>"], options: ["--inline"] },
  { path: "secrets print" },

  { path: "server exec", args: ["[cmd...]"], options: ["-i/--interactive", "--raw"] },
  { path: "server bootstrap" },

  { path: "lock status" },
  { path: "lock acquire", options: ["-m/--message <v>"] },
  { path: "lock release" },
];

const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  "-c/--config-file <v>",
  "-d/--destination <v>",
  "-v/--verbose",
  "-q/--quiet",
  "--version <v>",
  "-p/--primary",
  "-h/--hosts <v>",
  "-r/--roles <v>",
  "-H/--skip-hooks",
  "--lock-wait",
  "--lock-wait-timeout <v>",
  "--lock-wait-interval <v>",
];

const program = buildProgram({ writeOut: () => {}, writeErr: () => {} }, async () => {});

function find(path: string): Command | undefined {
  let command: Command | undefined = program;
  for (const name of path.split(" ")) command = command?.commands.find((candidate) => candidate.name() === name);
  return command;
}

function defaultsOf(command: Command): Record<string, unknown> {
  const positive = command.options.filter((option) => !option.negate);
  return Object.fromEntries(positive.map((option) => [option.attributeName(), option.defaultValue]));
}

function parseSpec(spec: OptionSpec): { short?: string; long: string; takesValue: boolean } {
  const [flags, value] = spec.split(" ");
  const [first, second] = flags!.split("/");
  return second === undefined ? { long: first!, takesValue: value !== undefined } : { short: first!, long: second, takesValue: value !== undefined };
}

function expectOption(command: Command, spec: OptionSpec): void {
  const { short, long, takesValue } = parseSpec(spec);
  const option: Option | undefined = command.options.find((candidate) => candidate.long === long);
  expect(option, `${command.name()} ${long}`).toBeDefined();
  if (short !== undefined) expect(option!.short, `${command.name()} ${long} short flag`).toBe(short);
  expect(option!.required || option!.optional, `${command.name()} ${long} takes a value`).toBe(takesValue);
}

describe("the command tree has every Kamal 2 command", () => {
  it.each(KAMAL_COMMANDS)("$path", ({ path, args = [], options = [], hidden = false }) => {
    const command = find(path);
    expect(command, path).toBeDefined();
    const registered = command!.registeredArguments.map((argument) => {
      const name = `${argument.name()}${argument.variadic ? "..." : ""}`;
      return argument.required ? `<${name}>` : `[${name}]`;
    });
    expect(registered).toEqual(args);
    for (const option of options) expectOption(command!, option);
    for (const option of GLOBAL_OPTIONS) expectOption(command!, option);
    // Every boolean option also has Thor's --no- form.
    for (const option of command!.options.filter((candidate) => !candidate.required && !candidate.optional && !candidate.negate)) {
      expect(command!.options.some((candidate) => candidate.long === `--no-${option.long!.slice(2)}`), `${path} --no-${option.long!.slice(2)}`).toBe(true);
    }
    expect((command as unknown as { _hidden: boolean })._hidden).toBe(hidden);
  });

  it("has no command Kamal 2 lacks, besides Berth's documented additions and help", () => {
    const known = new Set(KAMAL_COMMANDS.map((spec) => spec.path));
    const groups = new Set(["app", "accessory", "build", "proxy", "prune", "registry", "secrets", "server", "lock"]);
    const paths = allCommands(program)
      .filter((command) => command !== program)
      .map((command) => {
        const names: string[] = [];
        for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
        return names.join(" ");
      })
      .filter((path) => !groups.has(path) && !path.endsWith("help"));
    expect(paths.filter((path) => !known.has(path))).toEqual([]);
  });

  it("has every global option on every command, including groups, with Kamal's defaults", () => {
    for (const command of allCommands(program).filter((candidate) => !candidate.name().endsWith("help"))) {
      for (const spec of GLOBAL_OPTIONS) expectOption(command, spec);
      const defaults = defaultsOf(command);
      expect(defaults).toMatchObject({ configFile: "config/deploy.yml", lockWaitTimeout: 900, lockWaitInterval: 15, skipHooks: false });
    }
  });

  it("offers --output text|json everywhere except where Kamal already has --output", () => {
    expect(find("deploy")!.options.find((option) => option.long === "--output")!.argChoices).toEqual(["text", "json"]);
    expect(find("build push")!.options.find((option) => option.long === "--output")!.defaultValue).toBe("registry");
    expect(find("build dev")!.options.find((option) => option.long === "--output")!.defaultValue).toBe("docker");
  });

  it("uses --help for help, since -h is --hosts", () => {
    const help = program.helpOption("--help");
    expect(help).toBe(program);
    expect(find("deploy")!.options.find((option) => option.short === "-h")!.long).toBe("--hosts");
  });

  it("accepts Thor's dashed spellings of underscored commands", () => {
    expect(find("app stale_containers")!.aliases()).toEqual(["stale-containers"]);
    expect(find("proxy boot_config")!.aliases()).toEqual(["boot-config"]);
  });

  it("keeps Kamal's option defaults", () => {
    const bootConfig = find("proxy boot_config")!;
    const defaults = defaultsOf(bootConfig);
    expect(defaults).toMatchObject({ publish: true, httpPort: 80, httpsPort: 443, logMaxSize: "10m", debug: false, dockerOptions: [] });
    expect(find("setup")!.options.find((option) => option.long === "--skip-push")!.defaultValue).toBe(false);
  });
});

describe("x-berth settings and their flags", () => {
  /** Every documented `flag` of x-berth's settings, e.g. `berth doctor --max-clock-skew <seconds>`. */
  function documentedFlags(schema: z.ZodType): string[] {
    const doc = documentationOf(schema);
    const def = unwrap(schema)._zod.def as unknown as { type: string; shape?: Record<string, z.ZodType> };
    const own = doc?.flag === undefined ? [] : [doc.flag];
    return [...own, ...Object.values(def.type === "object" ? (def.shape ?? {}) : {}).flatMap(documentedFlags)];
  }

  it("documents only flags that exist, on the command named, shown in its help", () => {
    const flags = documentedFlags(berthSchema);
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) {
      const words = flag.split(" ").filter((word) => word !== "berth" && !word.startsWith("<"));
      const long = words.find((word) => word.startsWith("--"))!;
      const command = find(words.filter((word) => !word.startsWith("-")).join(" "));
      const option = command?.options.find((candidate) => candidate.long === long);
      expect(option, flag).toBeDefined();
      expect(option!.hidden, flag).toBe(false);
    }
  });
});

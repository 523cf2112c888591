// The options every command accepts (Kamal's class options plus Berth's --output), and how the
// values given at different levels (`berth -d x app boot` vs `berth app boot -d x`) combine.

import { InvalidArgumentError, Option, type Command } from "commander";
import { DEFAULT_GLOBAL_OPTIONS, type GlobalOptions } from "../core/context.js";
import type { OutputFormat } from "../output/index.js";

const GLOBAL_OPTION_KEYS = [
  "configFile",
  "destination",
  "verbose",
  "quiet",
  "version",
  "primary",
  "hosts",
  "roles",
  "skipHooks",
  "lockWait",
  "lockWaitTimeout",
  "lockWaitInterval",
  "output",
] as const satisfies readonly (keyof GlobalOptions)[];


export const OUTPUT_FORMATS: readonly OutputFormat[] = ["text", "json"];

export function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number)) throw new InvalidArgumentError(`Expected a number, got "${value}".`);
  return number;
}

function parseList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** A boolean flag plus its hidden `--no-` form, since Thor accepts both for every boolean. */
export function booleanOptions(flags: string, description: string, defaultValue = false): Option[] {
  const long = /--([\w-]+)/.exec(flags)?.[1];
  const positive = new Option(flags, description).default(defaultValue);
  if (long === undefined) return [positive];
  // The --no- form is only worth listing where it changes the default.
  const negative = new Option(`--no-${long}`, defaultValue ? `Turn --${long} off` : undefined);
  return [positive, defaultValue ? negative : negative.hideHelp()];
}

/**
 * Adds the global options to a command. `withOutput: false` is for `build push|dev`, whose own
 * `--output` is buildx's export type (the action wrapper reads text/json from it instead).
 */
const globalOptions = new WeakSet<Option>();

/** True for the options addGlobalOptions created (they are not passed to actions as their own). */
export function isGlobalOption(option: Option): boolean {
  return globalOptions.has(option);
}

export function addGlobalOptions(
  command: Command,
  { withOutput = true, helpGroup }: { withOutput?: boolean; helpGroup?: string | undefined } = {},
): Command {
  const options: Option[] = [
    ...booleanOptions("-v, --verbose", "Detailed logging"),
    ...booleanOptions("-q, --quiet", "Minimal logging"),
    new Option("--version <version>", "Run commands against a specific app version"),
    ...booleanOptions("-p, --primary", "Run commands only on primary host instead of all"),
    new Option(
      "-h, --hosts <hosts>",
      "Run commands on these hosts instead of all (separate by comma, supports wildcards with *)",
    ).argParser(parseList),
    new Option(
      "-r, --roles <roles>",
      "Run commands on these roles instead of all (separate by comma, supports wildcards with *)",
    ).argParser(parseList),
    new Option("-c, --config-file <path>", "Path to config file").default(DEFAULT_GLOBAL_OPTIONS.configFile),
    new Option(
      "-d, --destination <destination>",
      "Specify destination to be used for config file (staging -> deploy.staging.yml)",
    ),
    ...booleanOptions("-H, --skip-hooks", "Don't run hooks"),
    ...booleanOptions("--lock-wait", "Wait for the deploy lock if it's already held instead of failing immediately"),
    new Option("--lock-wait-timeout <seconds>", "Maximum seconds to wait for the deploy lock when --lock-wait is set")
      .argParser(parseNumber)
      .default(DEFAULT_GLOBAL_OPTIONS.lockWaitTimeout),
    new Option("--lock-wait-interval <seconds>", "Seconds between deploy lock polls when --lock-wait is set")
      .argParser(parseNumber)
      .default(DEFAULT_GLOBAL_OPTIONS.lockWaitInterval),
  ];
  if (withOutput) {
    options.push(
      new Option("--output <format>", "Output format: text, or json (one event per line, for CI); env BERTH_OUTPUT")
        .choices(OUTPUT_FORMATS)
        .default(DEFAULT_GLOBAL_OPTIONS.output),
    );
  }
  for (const option of options) {
    globalOptions.add(option);
    if (helpGroup !== undefined) option.helpGroup(helpGroup);
    command.addOption(option);
  }
  return command;
}

/**
 * Combines the global options from the program down to the command that runs. A value typed on
 * the command line beats the environment (BERTH_OUTPUT), and the deepest command wins among the
 * command line's; anything not given keeps its default.
 */
export function resolveGlobalOptions(leaf: Command, env: Readonly<Record<string, string | undefined>> = {}): GlobalOptions {
  const chain: Command[] = [];
  for (let command: Command | null = leaf; command !== null; command = command.parent) chain.unshift(command);
  const resolved: Record<string, unknown> = { ...DEFAULT_GLOBAL_OPTIONS };
  if (OUTPUT_FORMATS.includes(env.BERTH_OUTPUT as OutputFormat)) resolved.output = env.BERTH_OUTPUT;
  for (const command of chain) {
    for (const key of GLOBAL_OPTION_KEYS) {
      if (command.getOptionValueSource(key) !== "cli") continue;
      const value: unknown = command.getOptionValue(key);
      // `build push --output docker` is buildx's export type, not an output format.
      if (key === "output" && !OUTPUT_FORMATS.includes(value as OutputFormat)) continue;
      resolved[key] = value;
    }
  }
  return resolved as unknown as GlobalOptions;
}

// `$(kamal secrets …)` / `$(berth secrets …)` in a secrets file runs in-process, as Kamal does
// (`Kamal::Cli::Main.start(args + ["--inline"])`): no Ruby or Berth child process is needed, and
// the fetched JSON never passes through argv. The command line is split like Ruby's shellsplit
// and takes Thor's option forms (`--from X`, `--from=X`, `-a X`, `-a=X`).

import { BerthError } from "../util/errors.js";
import { extract, fetch, type SecretsCommandContext } from "./cli.js";
import { shellSplit } from "../core/shellwords.js";

// Kamal matches `kamal secrets`; Berth also takes `berth` and a path such as `bin/kamal`.
const INLINE_COMMAND = /^[ \t\n\v\f\r]*(?:[^ \t\n\v\f\r]*\/)?(?:kamal|berth)[ \t\n\v\f\r]+secrets[ \t\n\v\f\r]+/;

export function isInlineSecretsCommand(command: string): boolean {
  return INLINE_COMMAND.test(command);
}

interface ParsedArgs {
  readonly positional: string[];
  readonly options: Map<string, string | boolean>;
}

const STRING_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  fetch: ["adapter", "account", "from"],
  extract: [],
};
const SHORT_ALIASES: Readonly<Record<string, string>> = { a: "adapter" };

/** Runs `kamal|berth secrets fetch|extract …` and returns what Kamal's `--inline` returns. */
export function runInlineSecretsCommand(command: string, context: SecretsCommandContext): string {
  const [, , subcommand, ...rest] = shellSplit(command);
  const program = `secrets ${subcommand ?? ""}`.trim();
  if (subcommand !== "fetch" && subcommand !== "extract") {
    throw new BerthError(`\`${program}\` cannot run inside a secrets file (only \`secrets fetch\` and \`secrets extract\` can)`, "Berth::ConfigurationError");
  }
  const { positional, options } = parseArgs(rest, subcommand, program);
  if (subcommand === "extract") {
    if (positional.length !== 2) {
      throw new BerthError(`\`${program}\` takes NAME and SECRETS (the output of \`secrets fetch\`), got ${positional.length} argument(s)`, "Berth::ConfigurationError");
    }
    return extract(positional[0]!, positional[1]!);
  }
  const adapter = options.get("adapter");
  if (typeof adapter !== "string") throw new BerthError(`\`${program}\` needs --adapter (-a)`, "Berth::ConfigurationError");
  const account = options.get("account");
  const from = options.get("from");
  return fetch(
    positional,
    {
      adapter,
      account: typeof account === "string" ? account : undefined,
      from: typeof from === "string" ? from : undefined,
      inline: true,
    },
    context,
  );
}

function parseArgs(args: readonly string[], subcommand: string, program: string): ParsedArgs {
  const known = STRING_OPTIONS[subcommand] ?? [];
  const positional: string[] = [];
  const options = new Map<string, string | boolean>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === "--") {
      positional.push(...args.slice(index + 1));
      break;
    }
    const option = /^(?:--([A-Za-z][\w-]*)|-([A-Za-z]))(?:=([\s\S]*))?$/.exec(arg);
    if (option === null) {
      positional.push(arg);
      continue;
    }
    const name = option[1] ?? SHORT_ALIASES[option[2]!] ?? `-${option[2]!}`;
    if (name === "inline" || name === "no-inline") continue; // always inline here
    if (!known.includes(name)) throw new BerthError(`Unknown option ${arg.split("=")[0]} for \`${program}\``, "Berth::ConfigurationError");
    let value = option[3];
    if (value === undefined) {
      const next = args[index + 1];
      if (next === undefined || next.startsWith("-")) throw new BerthError(`No value provided for option '--${name}' of \`${program}\``, "Berth::ConfigurationError");
      value = next;
      index++;
    }
    options.set(name, value);
  }
  return { positional, options };
}

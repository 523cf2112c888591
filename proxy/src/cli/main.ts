// kamal-proxy's command line: the same verbs, flags, defaults and preRun checks, so Kamal's
// `docker exec kamal-proxy kamal-proxy deploy …` works unchanged. All verbs but `run` are thin
// clients of the control socket. Here: dispatch to a verb (commands.ts), cobra's usage and help.
import { VERSION } from "../version.js";
import { COMMANDS, ROLLOUT_COMMANDS, type Command } from "./commands.js";
import { FlagError, flagHelp, parseFlags } from "./flags.js";
import type { CliIo } from "./io.js";

function usage(commands: readonly Command[], prefix: string): string {
  return (
    `Usage:\n  kamal-proxy ${prefix}[command]\n\nAvailable Commands:\n` +
    commands.map((command) => `  ${command.names[0]!.padEnd(12)} ${command.short}`).join("\n") +
    (prefix === "" ? `\n  ${"rollout".padEnd(12)} Manage rollouts` : "") +
    "\n"
  );
}

function commandHelp(command: Command): string {
  return `${command.short}\n\nUsage:\n  kamal-proxy ${command.usage} [flags]\n${command.names.length > 1 ? `\nAliases:\n  ${command.names.join(", ")}\n` : ""}\nFlags:\n${flagHelp(command.flags)}\n`;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let commands = COMMANDS;
  let rest = argv;
  let prefix = "";
  if (rest[0] === "rollout") {
    commands = ROLLOUT_COMMANDS;
    rest = rest.slice(1);
    prefix = "rollout ";
  }
  const name = rest[0];
  if (name === undefined || name === "help" || name === "-h" || name === "--help") {
    io.out(usage(commands, prefix));
    return 0;
  }
  if (name === "--version") {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.names.includes(name));
  if (command === undefined) {
    io.err(`Error: unknown command "${name}" for "kamal-proxy${prefix === "" ? "" : " rollout"}"\nRun 'kamal-proxy ${prefix}--help' for usage.\n`);
    return 1;
  }
  try {
    const flags = parseFlags(rest.slice(1), command.flags, io.env);
    if (flags.help) {
      io.out(commandHelp(command));
      return 0;
    }
    if (flags.positionals.length !== command.args) {
      throw new FlagError(`accepts ${command.args} arg(s), received ${flags.positionals.length}`);
    }
    return await command.run(flags, io);
  } catch (error) {
    io.err(`Error: ${(error as Error).message}\n`);
    if (error instanceof FlagError) io.err(`\n${commandHelp(command)}`);
    return 1;
  }
}

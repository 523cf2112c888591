// Small helpers that keep the command tree declarative: groups, leaves with Kamal's options, and
// actions bound by loader so an action's module is imported only when that command runs.

import { Argument, InvalidArgumentError, Option, type Command } from "commander";
import type { CommandContext } from "../core/context.js";
import { booleanOptions, parseNumber } from "./globals.js";

/** An action: the context, then the command's arguments in order, then its own options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action declares its own argument types
export type ActionFunction = (context: CommandContext, ...args: any[]) => Promise<void> | void;
export type ActionLoader = () => Promise<ActionFunction>;

export interface LeafSettings {
  readonly hidden?: boolean;
  /** Other spellings, e.g. `stale-containers` (Thor accepts dashes for underscores). */
  readonly aliases?: readonly string[];
  /** Unknown options become arguments, for commands that pass a command line on (`app exec`). */
  readonly passUnknownOptions?: boolean;
}

const loaders = new WeakMap<Command, ActionLoader>();

export function actionLoaderOf(command: Command): ActionLoader | undefined {
  return loaders.get(command);
}

export function group(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).helpGroup("Command groups:");
}

export function leaf(
  parent: Command,
  nameAndArgs: string,
  description: string,
  load: ActionLoader,
  settings: LeafSettings = {},
): Command {
  const command = parent.command(nameAndArgs, { hidden: settings.hidden ?? false }).description(description);
  const underscored = command.name();
  const aliases = settings.aliases ?? (underscored.includes("_") ? [underscored.replace(/_/g, "-")] : []);
  for (const alias of aliases) command.alias(alias);
  if (settings.passUnknownOptions) command.allowUnknownOption();
  loaders.set(command, load);
  return command;
}

/** A boolean option and its `--no-` form. */
export function flag(command: Command, flags: string, description: string, defaultValue = false): Command {
  for (const option of booleanOptions(flags, description, defaultValue)) command.addOption(option);
  return command;
}

export function numberOption(command: Command, flags: string, description: string, defaultValue?: number): Command {
  const option = new Option(flags, description).argParser(parseNumber);
  if (defaultValue !== undefined) option.default(defaultValue);
  return command.addOption(option);
}

export function stringOption(command: Command, flags: string, description: string, defaultValue?: string): Command {
  const option = new Option(flags, description);
  if (defaultValue !== undefined) option.default(defaultValue);
  return command.addOption(option);
}

/** Thor's `repeatable: true`: every occurrence adds a value. */
export function repeatableOption(command: Command, flags: string, description: string): Command {
  return command.addOption(
    new Option(flags, description).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
  );
}

/** Thor's hash type (`-e KEY:VALUE`); see expandHashOptions for several pairs after one flag. */
export function hashOption(command: Command, flags: string, description: string): Command {
  return command.addOption(
    new Option(flags, description).argParser((pair: string, previous: Record<string, string> | undefined) => {
      const colon = pair.indexOf(":");
      if (colon <= 0) throw new InvalidArgumentError(`Expected KEY:VALUE, got "${pair}".`);
      return { ...(previous ?? {}), [pair.slice(0, colon)]: pair.slice(colon + 1) };
    }),
  );
}

/** Thor's `confirmed` option, shared by every command that asks before removing things. */
export function confirmedOption(command: Command): Command {
  return flag(command, "-y, --confirmed", "Proceed without confirmation question");
}

export function choiceArgument(command: Command, name: string, description: string, choices: readonly string[]): Command {
  return command.addArgument(new Argument(name, description).choices(choices));
}

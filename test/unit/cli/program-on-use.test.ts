// `berth` builds its command tree with the global options added only where parsing or help reaches
// (buildProgram's "on-use"), for a faster start. It must parse and print help exactly as the
// complete tree does.

import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { resolveGlobalOptions } from "../../../src/cli/globals.js";
import { buildProgram, commandPath, type BuildOptions } from "../../../src/cli/program.js";

interface Outcome {
  readonly ran?: { path: string[]; args: readonly unknown[]; options: Record<string, unknown>; globals: unknown };
  readonly out: string;
  readonly error?: string;
}

async function parse(argv: readonly string[], options: BuildOptions): Promise<Outcome> {
  let out = "";
  let ran: Outcome["ran"];
  const program = buildProgram(
    { writeOut: (text) => void (out += text), writeErr: (text) => void (out += text) },
    async (command: Command, args) => {
      ran = { path: commandPath(command), args, options: command.opts(), globals: resolveGlobalOptions(command, {}) };
    },
    options,
  );
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    return { ...(ran ? { ran } : {}), out, error: (error as Error).message };
  }
  return { ...(ran ? { ran } : {}), out };
}

const ARGVS: readonly (readonly string[])[] = [
  ["deploy"],
  ["deploy", "-P", "--no-cache", "-d", "staging", "-v"],
  ["-d", "staging", "app", "boot", "--roles", "web,worker", "--lock-wait", "--lock-wait-timeout", "3"],
  ["app", "exec", "-i", "--reuse", "bin/rails", "console"],
  ["build", "push", "--output", "json"],
  ["accessory", "boot", "db", "-q", "--hosts", "10.0.0.1"],
  ["proxy", "reboot", "--rolling", "-y"],
  ["config", "--output", "json", "-c", "other.yml"],
  ["deploy", "--bogus"],
  ["app", "boot", "--skip-push"],
  ["app", "bogus"],
  ["bogus"],
  ["--help"],
  ["app", "--help"],
  ["app", "boot", "--help"],
  ["build", "push", "--help"],
  ["help", "app", "exec"],
  ["app", "help", "boot"],
  ["lock", "help"],
];

describe("the command tree with the global options added on use", () => {
  it.each(ARGVS.map((argv) => [argv.join(" "), argv] as const))("parses `%s` as the complete tree does", async (_name, argv) => {
    const onUse = await parse(argv, { globalOptions: "on-use" });
    expect(onUse).toEqual(await parse(argv, { globalOptions: "all" }));
    // Sanity: the cases reach actions, errors and help alike.
    expect(onUse.ran !== undefined || onUse.error !== undefined || onUse.out !== "").toBe(true);
  });
});

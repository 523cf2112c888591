// ERB as Kamal renders deploy.yml (`ERB.new(text, trim_mode: "-").result`), for the Ruby that
// real configs write: ENV lookups, commands, string literals with interpolation, local
// variables, if/elsif/else/unless, each/map over arrays and ranges, operators and the common
// String and Array methods (see erb/). Ruby outside that subset is refused with the file, line
// and construct, rather than rendered as something Kamal wouldn't render.
import { execFileSync } from "node:child_process";
import type { CommandOutcome } from "../util/local-commands.js";
import { ConfigError } from "./errors.js";
import { ErbFailure, rubyError } from "./erb/failure.js";
import { Interpreter } from "./erb/interpreter.js";
import { tokenize } from "./erb/lexer.js";
import { parseTemplate } from "./erb/parser.js";
import { LineIndex, splitTemplate, UnterminatedTag } from "./erb/template.js";

export interface ErbOptions {
  /** Named in errors. */
  readonly file: string;
  /** The environment `ENV` reads and commands run with. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `%x()` and backtick commands run. */
  readonly cwd?: string;
  /**
   * The template is YAML: an output tag inside a YAML comment (as in the commented-out lines of
   * the deploy.yml `kamal init` writes) renders as nothing when it uses Ruby outside the subset,
   * since its output is discarded anyway.
   */
  readonly yaml?: boolean;
  /** Runs `%x()` and backtick commands instead of a shell here (bounded, refused or asynchronous: load.ts). */
  readonly runCommand?: (command: string) => CommandOutcome;
}

const SUBSET_HINT = "Berth's ERB evaluates a subset of Ruby: see `berth docs configuration`";

/** Renders an ERB template; throws ConfigError naming file, line and construct on failure. */
export function renderErb(template: string, options: ErbOptions): string {
  const lines = new LineIndex(template);
  try {
    const program = parseTemplate(tokenize(splitTemplate(template), template.length));
    const interpreter = new Interpreter({
      env: options.env,
      run: (command, at) => runCommand(command, at, options),
      ...(options.yaml ? { discarded: endsInYamlComment } : {}),
    });
    return interpreter.run(program);
  } catch (error) {
    if (error instanceof UnterminatedTag) {
      const shown = template.slice(error.offset, error.offset + 24).split("\n")[0]!.trim();
      throw erbError(options.file, lines, error.offset, `unterminated ERB tag ${shown}… (no %> closes it)`);
    }
    if (error instanceof ErbFailure) {
      const message = error.kind === "unsupported" ? `${error.message} (${SUBSET_HINT})` : error.message;
      throw erbError(options.file, lines, error.offset, message);
    }
    throw error;
  }
}

function erbError(file: string, lines: LineIndex, offset: number, message: string): ConfigError {
  const { line, column } = lines.position(offset);
  return new ConfigError([{ path: "", message: `ERB: ${message}`, file, line, column }]);
}

function runCommand(command: string, at: number, options: ErbOptions): string {
  if (options.runCommand) {
    const outcome = options.runCommand(command);
    if ("failure" in outcome) throw rubyError(`command \`${command}\` ${outcome.failure}`, at);
    return outcome.stdout;
  }
  try {
    return execFileSync("/bin/sh", ["-c", command], {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: options.env,
      encoding: "utf8",
      // stdin and stderr stay attached so vault CLIs can prompt and report.
      stdio: ["inherit", "pipe", "inherit"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // Ruby would carry on with whatever the command printed; a failed secret lookup is better
    // stopped here than deployed as an empty value.
    const status = (error as { status?: number | null }).status;
    const reason = typeof status === "number" ? `exited with status ${status}` : "could not be run";
    throw rubyError(`command \`${command}\` ${reason}`, at);
  }
}

/** Whether a YAML line, as rendered so far, has reached a comment (`#` after a blank, outside quotes). */
export function endsInYamlComment(line: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    const previous = i === 0 ? " " : line[i - 1]!;
    if (quote !== undefined) {
      if (quote === '"' && ch === "\\") i++;
      else if (ch === quote && quote === "'" && line[i + 1] === "'") i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "#" && (previous === " " || previous === "\t")) return true;
    if ((ch === '"' || ch === "'") && /[ \t[{,]/.test(previous)) quote = ch;
  }
  return false;
}

// Argument-vector rewrites done before commander parses, so Berth accepts what Thor accepts.

/**
 * Thor accepts `--skip_push` as well as `--skip-push`: long options written with underscores are
 * rewritten to the dashed form when that form is a known option. Everything after `--` is left
 * alone, as are unknown options (they may belong to a remote command).
 */
export function normalizeUnderscoreOptions(argv: readonly string[], knownLongOptions: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let literal = false;
  for (const arg of argv) {
    if (literal || !arg.startsWith("--") || arg === "--") {
      if (arg === "--") literal = true;
      out.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const name = equals === -1 ? arg : arg.slice(0, equals);
    const dashed = name.replace(/_/g, "-");
    out.push(dashed !== name && knownLongOptions.has(dashed) ? dashed + (equals === -1 ? "" : arg.slice(equals)) : arg);
  }
  return out;
}

/**
 * Thor's hash options take every following `key:value` word: `-e A:1 B:2 cmd` sets A and B and
 * leaves `cmd`. Commander takes one value per flag, so the flag is repeated for each pair.
 */
export function expandHashOptions(argv: readonly string[], hashFlags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(arg);
    if (arg === "--") {
      out.push(...argv.slice(i + 1));
      break;
    }
    if (!hashFlags.has(arg)) continue;
    let first = true;
    while (i + 1 < argv.length && isHashPair(argv[i + 1]!)) {
      if (!first) out.push(arg);
      out.push(argv[++i]!);
      first = false;
    }
  }
  return out;
}

function isHashPair(word: string): boolean {
  return !word.startsWith("-") && word.includes(":");
}

/** Global options that take a value, to skip over them when looking for the command word. */
const VALUE_FLAGS = new Set([
  "-c",
  "--config-file",
  "-d",
  "--destination",
  "--version",
  "-h",
  "--hosts",
  "-r",
  "--roles",
  "--lock-wait-timeout",
  "--lock-wait-interval",
  "--output",
]);

export interface LeadingScan {
  /** Index of the first word that is not a global option or its value, or -1. */
  readonly commandIndex: number;
}

/** Finds the command word in `berth [global options] <command> …`. */
export function findCommandWord(argv: readonly string[]): LeadingScan {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return { commandIndex: i + 1 < argv.length ? i + 1 : -1 };
    if (!arg.startsWith("-") || arg === "-") return { commandIndex: i };
    if (VALUE_FLAGS.has(arg)) i++;
  }
  return { commandIndex: -1 };
}

/** Whether the command line ends with a global option that needs a value (`berth -c`). */
export function endsWithValueFlag(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const last = (end === -1 ? argv : argv.slice(0, end)).at(-1);
  return last !== undefined && VALUE_FLAGS.has(last);
}

/** The last `-c`/`-d` given anywhere (before `--`), as Thor would read them for an alias. */
export function scanConfigSelection(argv: readonly string[]): { configFile?: string; destination?: string } {
  const selection: { configFile?: string; destination?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    const [flag, inline] = splitInlineValue(arg);
    const key = flag === "-c" || flag === "--config-file" ? "configFile" : flag === "-d" || flag === "--destination" ? "destination" : undefined;
    if (key !== undefined) {
      const value = inline ?? argv[++i];
      if (value !== undefined) selection[key] = value;
    } else if (/^-[cd]./.test(arg)) {
      selection[arg[1] === "c" ? "configFile" : "destination"] = arg.slice(2);
    }
  }
  return selection;
}

function splitInlineValue(arg: string): [string, string | undefined] {
  if (!arg.startsWith("--")) return [arg, undefined];
  const equals = arg.indexOf("=");
  return equals === -1 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
}

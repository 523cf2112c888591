// Commands as data, below every layer: a command is a list of shell-safe parts, so it can be
// printed (redacted), golden-tested, planned (--plan) and executed from the same value. The
// builders in src/commands make them; configuration, output and transports only read them.

/** A value that may be run but never shown: logs, errors and plans print `[REDACTED]`. */
export class Redacted {
  /** `shown` is what logs print instead of the value, e.g. `KEY=[REDACTED]`. */
  constructor(
    readonly value: string,
    readonly shown: string = REDACTED,
  ) {}
  toString(): string {
    return this.shown;
  }
  toJSON(): string {
    return this.shown;
  }
}

export const REDACTED = "[REDACTED]";

/** One shell word (or an already-quoted fragment). Null/undefined/false parts are dropped. */
export type Part = string | number | Redacted;
export type PartInput = Part | Cmd | null | undefined | false | readonly PartInput[];

export interface Cmd {
  readonly parts: readonly Part[];
  /** Fed to the command's standard input; never printed. Used for passwords and file uploads. */
  readonly stdin?: Redacted | Buffer;
}

export function isCmd(value: unknown): value is Cmd {
  return typeof value === "object" && value !== null && Array.isArray((value as Cmd).parts);
}

function flatten(inputs: readonly PartInput[], out: Part[]): Part[] {
  for (const input of inputs) {
    if (input === null || input === undefined || input === false) continue;
    if (Array.isArray(input)) flatten(input, out);
    else if (isCmd(input)) out.push(...input.parts);
    else out.push(input as Part);
  }
  return out;
}

/** Builds a command from parts; nested arrays and commands are flattened in place. */
export function cmd(...parts: PartInput[]): Cmd {
  return { parts: flatten(parts, []) };
}

export function withStdin(command: Cmd, stdin: Redacted | Buffer): Cmd {
  return { parts: command.parts, stdin };
}

function join(separator: string, commands: readonly Cmd[]): Cmd {
  const parts: Part[] = [];
  commands.forEach((command, index) => {
    if (index > 0) parts.push(separator);
    parts.push(...command.parts);
  });
  const stdin = commands.find((command) => command.stdin !== undefined)?.stdin;
  return stdin === undefined ? { parts } : { parts, stdin };
}

/** `a && b && c` */
export const combine = (...commands: Cmd[]): Cmd => join("&&", commands);
/** `a ; b ; c` */
export const chain = (...commands: Cmd[]): Cmd => join(";", commands);
/** `a | b | c` */
export const pipe = (...commands: Cmd[]): Cmd => join("|", commands);
/** `a || b || c` */
export const any = (...commands: Cmd[]): Cmd => join("||", commands);
/** `a >> file` */
export const append = (command: Cmd, file: string): Cmd => cmd(command, ">>", file);
/** `a > file` */
export const write = (command: Cmd, file: string): Cmd => cmd(command, ">", file);
/** `$(a)` as one part. */
export const substitute = (command: Cmd): string => `$(${render(command, { redact: false })})`;
/** `sh -c '…'`: runs a compound command where only a simple one is accepted. */
export const shell = (command: Cmd): Cmd =>
  cmd("sh", "-c", singleQuote(render(command, { redact: false })));

export interface RenderOptions {
  /** Print Redacted parts as [REDACTED] (logs, plans) or as their value (execution). */
  redact: boolean;
}

export function render(command: Cmd, options: RenderOptions = { redact: true }): string {
  return command.parts
    .map((part) => (part instanceof Redacted ? (options.redact ? part.shown : part.value) : String(part)))
    .join(" ");
}

/** True when the command carries a Redacted part (its text must not reach a log unredacted). */
export function hasRedactedParts(command: Cmd): boolean {
  return command.parts.some((part) => part instanceof Redacted);
}

/** POSIX single quoting; leaves simple words bare so printed commands stay readable. */
export function singleQuote(value: string): string {
  if (value !== "" && /^[A-Za-z0-9_\-+=.,/:@%^]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const DOLLAR_WITHOUT_EXPANSION = /\$(?!\{[^}]*\})/g;

// eslint-disable-next-line no-control-regex -- splitting on the ASCII range is the point
const ASCII_RUNS = /[\x00-\x7F]+|[^\x00-\x7F]+/g;
// eslint-disable-next-line no-control-regex -- as above
const ASCII_ONLY = /^[\x00-\x7F]*$/;

/**
 * Kamal's `escape_shell_value`: a double-quoted value as Ruby's String#dump writes it, with
 * backticks and `$` escaped except `${VAR}`, which the remote shell expands on purpose.
 * Non-ASCII runs are kept raw between the quoted ASCII runs, as Kamal does.
 */
export function quote(value: string | number | boolean): string {
  return mapAsciiRuns(String(value), (run) => `"${rubyDumpAscii(run)}"`.replace(/`/g, "\\`").replace(DOLLAR_WITHOUT_EXPANSION, "\\$"));
}

/** `text` with each run of ASCII characters replaced by `ascii(run)`; other runs kept raw, as Kamal's escaping keeps them. */
export function mapAsciiRuns(text: string, ascii: (run: string) => string): string {
  return (text.match(ASCII_RUNS) ?? [""]).map((run) => (ASCII_ONLY.test(run) ? ascii(run) : run)).join("");
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\f": "\\f",
  "\v": "\\v",
  "\b": "\\b",
  "\x07": "\\a",
  "\x1b": "\\e",
};

/** Ruby's String#dump of an ASCII string, without the surrounding quotes. */
export function rubyDumpAscii(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = ch.charCodeAt(0);
    const named = NAMED_ESCAPES[ch];
    if (named !== undefined) out += named;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else if (ch === "#" && (text[i + 1] === "{" || text[i + 1] === "$" || text[i + 1] === "@")) out += "\\#";
    else out += ch;
  }
  return out;
}

/**
 * Kamal's `argumentize`: `{a: "1"}` → `--flag a="1"`; an empty value gives the bare key, `false`
 * gives `key=false`; a list gives one bare flag per item. Sensitive values print as `key=[REDACTED]`.
 */
export function argumentize(
  flag: string,
  values: Readonly<Record<string, string | number | boolean | null | undefined>> | readonly string[],
  options: { sensitive?: boolean } = {},
): Part[] {
  const parts: Part[] = [];
  if (Array.isArray(values)) {
    for (const value of values) parts.push(flag, value);
    return parts;
  }
  for (const [key, value] of Object.entries(values)) {
    if (value === false) parts.push(flag, `${key}=false`);
    else if (value === null || value === undefined || value === "") parts.push(flag, key);
    else {
      const assignment = `${key}=${quote(value)}`;
      parts.push(flag, options.sensitive ? new Redacted(assignment, `${key}=${REDACTED}`) : assignment);
    }
  }
  return parts;
}

/**
 * Kamal's `optionize`: `{publish: ["80:80"], detach: true}` → `--publish "80:80" --detach`;
 * with `{ with: "=" }` → `--publish="80:80"`. False/null values are dropped.
 */
export function optionize(
  options: Readonly<Record<string, unknown>>,
  { with: separator }: { with?: "=" } = {},
): Part[] {
  const parts: Part[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === false || value === null || value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item === true) parts.push(`--${key}`);
      else if (separator === "=") parts.push(`--${key}=${quote(String(item))}`);
      else parts.push(`--${key}`, quote(String(item)));
    }
  }
  return parts;
}

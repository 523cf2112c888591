// Env files for containers (Kamal::EnvFile): `KEY=value` lines Docker reads literally, holding
// the secret env of a role or accessory. Returned Redacted: the body is uploaded, never shown.
import type { Accessory, Configuration, Role } from "../config/index.js";
import { Redacted } from "../core/cmd.js";
import { BerthError } from "../util/errors.js";

// eslint-disable-next-line no-control-regex -- splitting on the ASCII range is the point
const ASCII_RUNS = /[\x00-\x7F]+|[^\x00-\x7F]+/g;
// eslint-disable-next-line no-control-regex -- as above
const ASCII_ONLY = /^[\x00-\x7F]*$/;

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
function dumpAscii(text: string): string {
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

/** A value as Docker's env-file reader needs it: escapes kept, quotes and `#` literal, non-ASCII raw. */
export function escapeEnvFileValue(value: string): string {
  return (value.match(ASCII_RUNS) ?? [])
    .map((run) => (ASCII_ONLY.test(run) ? dumpAscii(run).replace(/\\"/g, '"').replace(/\\#/g, "#") : run))
    .join("");
}

/** The file's text: `KEY=value\n` per entry; an empty env gives "\n" (an empty upload is refused by some tools). */
export function envFileContent(env: Readonly<Record<string, string>>): string {
  const text = Object.entries(env)
    .map(([key, value]) => `${key}=${escapeEnvFileValue(value)}\n`)
    .join("");
  return text === "" ? "\n" : text;
}

/** Env name → secret value, looked up now (`DB_PASSWORD:MAIN_DB_PASSWORD` reads MAIN_DB_PASSWORD). */
function lookUp(config: Configuration, secrets: Readonly<Record<string, string>>, where: string): Record<string, string> {
  const names = Object.entries(secrets);
  if (names.length === 0) return {};
  const lookup = config.secrets;
  if (!lookup) throw new BerthError(`${where}: secrets ${names.map(([, secret]) => secret).join(", ")} are needed but no secrets were loaded`);
  return Object.fromEntries(names.map(([name, secret]) => [name, lookup.get(secret)]));
}

/** The body of `.kamal/apps/<svc>/env/roles/<role>.env` for a host (its tags may add secrets). */
export function roleEnvFile(config: Configuration, role: Role, host: string): Redacted {
  return new Redacted(envFileContent(lookUp(config, role.env(host).secrets, `servers/${role.name}/env`)), "[REDACTED env file]");
}

/** The body of `.kamal/apps/<svc>/env/accessories/<name>.env`. */
export function accessoryEnvFile(config: Configuration, accessory: Accessory): Redacted {
  return new Redacted(envFileContent(lookUp(config, accessory.resolvedEnv().secrets, `accessories/${accessory.name}/env`)), "[REDACTED env file]");
}

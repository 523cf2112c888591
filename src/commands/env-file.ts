// Env files for containers (Kamal::EnvFile): `KEY=value` lines Docker reads literally, holding
// the secret env of a role or accessory. Returned Redacted: the body is uploaded, never shown.
import type { Accessory, Configuration, Role } from "../config/index.js";
import { Redacted, mapAsciiRuns, rubyDumpAscii } from "../core/cmd.js";
import { BerthError } from "../util/errors.js";

/** A value as Docker's env-file reader needs it: escapes kept, quotes and `#` literal, non-ASCII raw. */
export function escapeEnvFileValue(value: string): string {
  return mapAsciiRuns(value, (run) => rubyDumpAscii(run).replace(/\\"/g, '"').replace(/\\#/g, "#"));
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

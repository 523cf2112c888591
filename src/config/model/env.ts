// Env for a container: clear values go on the command line, secret ones into an env file.
import { isHash, textList, textMap } from "./values.js";

export interface ResolvedEnv {
  /** `--env KEY="value"` pairs, in order. */
  readonly clear: Readonly<Record<string, string>>;
  /** Env name → the secret it is read from (`DB_PASSWORD:MAIN_DB_PASSWORD` gives DB_PASSWORD → MAIN_DB_PASSWORD). */
  readonly secrets: Readonly<Record<string, string>>;
}

export class Env {
  constructor(
    readonly clear: Readonly<Record<string, string>>,
    /** Entries as written: `NAME` or `NAME:SECRET`. */
    readonly secretKeys: readonly string[],
  ) {}

  static readonly empty = new Env({}, []);

  /** Kamal's Env.new: a flat map is all clear; `clear`/`secret`/`tags` keys make it structured. */
  static from(config: unknown): Env {
    if (!isHash(config)) return Env.empty;
    const structured = "clear" in config || "secret" in config || "tags" in config;
    if (!structured) return new Env(textMap(config), []);
    return new Env(textMap(config.clear), textList(config.secret));
  }

  /** Later values win; secret names are unioned (Kamal's `Env#merge`). */
  merge(other: Env): Env {
    const secretKeys = [...this.secretKeys];
    for (const key of other.secretKeys) if (!secretKeys.includes(key)) secretKeys.push(key);
    return new Env({ ...this.clear, ...other.clear }, secretKeys);
  }

  /** Env name → secret name. */
  get secrets(): Readonly<Record<string, string>> {
    const result: Record<string, string> = {};
    for (const key of this.secretKeys) {
      const [name, aliasedTo] = key.split(":");
      result[name!] = aliasedTo ?? name!;
    }
    return result;
  }

  resolved(): ResolvedEnv {
    return { clear: this.clear, secrets: this.secrets };
  }
}

/** Env that applies to hosts carrying a tag. */
export class EnvTag {
  constructor(
    readonly name: string,
    readonly env: Env,
  ) {}
}

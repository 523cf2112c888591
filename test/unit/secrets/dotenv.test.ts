import { describe, expect, it } from "vitest";
import { parseDotenv, type CommandSubstitution } from "../../../src/secrets/dotenv.js";
import { BerthError } from "../../../src/util/errors.js";

interface Parsed {
  values: Record<string, string>;
  commands: string[];
  substitutions: CommandSubstitution[];
  ignoredLines: readonly number[];
}

/** Parses with a fake command runner: `echo X` returns X, anything else is looked up in `outputs`. */
function parse(text: string, env: Record<string, string> = {}, outputs: Record<string, string> = {}): Parsed {
  const commands: string[] = [];
  const substitutions: CommandSubstitution[] = [];
  const result = parseDotenv(text, {
    file: ".kamal/secrets",
    env,
    substituteCommand: (substitution) => {
      commands.push(substitution.command);
      substitutions.push(substitution);
      if (substitution.command.startsWith("echo ")) return substitution.command.slice(5);
      const output = outputs[substitution.command];
      if (output === undefined) throw new Error(`unexpected command ${substitution.command}`);
      return output;
    },
  });
  return { values: { ...result.values }, commands, substitutions, ignoredLines: result.ignoredLines };
}

const values = (text: string, env: Record<string, string> = {}, outputs: Record<string, string> = {}) => parse(text, env, outputs).values;

describe("dotenv lines", () => {
  it.each([
    ["KEY=value", "value"],
    ["export KEY=value", "value"],
    ["  KEY = value  ", "value"],
    ["KEY: value", "value"],
    ["KEY=value # a comment", "value"],
    ["KEY=value#no space needed", "value"],
    ["KEY='value # not a comment'", "value # not a comment"],
    ['KEY="value # not a comment"', "value # not a comment"],
    ["KEY=", ""],
    ['KEY=""', ""],
    ["KEY=''", ""],
    ["KEY=  spaced out  ", "spaced out"],
    ["KEY='  kept  '", "  kept  "],
    ["KEY=a=b=c", "a=b=c"],
    ['KEY="quoted" trailing', '"quoted" trailing'],
  ])("%j → %j", (line, expected) => {
    expect(values(line).KEY).toBe(expected);
  });

  it("skips comments and blank lines and reads keys with dots", () => {
    expect(values("# comment\n\n   \nA=1\n  # indented comment\nmy.key=2\n")).toEqual({ A: "1", "my.key": "2" });
  });

  it("accepts CRLF and CR line endings and a byte-order mark", () => {
    expect(values("\uFEFFA=1\r\nB=2\rC=3")).toEqual({ A: "1", B: "2", C: "3" });
  });

  it("lets later lines override earlier ones", () => {
    expect(values("A=1\nA=2")).toEqual({ A: "2" });
  });

  it("skips lines that are not KEY=value and reports their numbers", () => {
    const parsed = parse("A=1\nnot a valid line\nB=2\nMY SECRET=x\n# fine\n");
    expect(parsed.values).toEqual({ A: "1", B: "2" });
    expect(parsed.ignoredLines).toEqual([2, 4]);
  });

  it("allows `export KEY` for a key set above, and names an unset one", () => {
    expect(values("A=1\nexport A")).toEqual({ A: "1" });
    expect(() => values("export NOPE")).toThrow(BerthError);
    expect(() => values("export NOPE")).toThrow(/exports NOPE, which is not set above it/);
  });

  it("keeps keys such as __proto__ as plain keys", () => {
    const result = parseDotenv("__proto__=x\nconstructor=y", { file: "f", env: {} });
    expect(Object.keys(result.values)).toEqual(["__proto__", "constructor"]);
    expect(result.values.__proto__).toBe("x");
  });
});

describe("dotenv quoting and escapes", () => {
  it("keeps single-quoted values literal", () => {
    expect(values(String.raw`A='$HOME \n \" $(echo x)'`, { HOME: "/root" })).toEqual({ A: String.raw`$HOME \n \" $(echo x)` });
  });

  it('expands \\n and \\r in double quotes and drops the backslash of other escapes', () => {
    expect(values(String.raw`A="line1\nline2\r\"quoted\" \t \\ end"`).A).toBe('line1\nline2\r"quoted" t \\ end');
  });

  it("spans lines inside double and single quotes", () => {
    expect(values('A="first\nsecond"\nB=\'one\ntwo\'\nC=3')).toEqual({ A: "first\nsecond", B: "one\ntwo", C: "3" });
  });

  it("reads a PEM block in double quotes", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----";
    expect(values(`KEY="${pem}"`).KEY).toBe(pem);
  });

  it("drops backslashes in unquoted values too (\\n is just n there); # still starts a comment", () => {
    expect(values(String.raw`A=a\nb\\c`).A).toBe("anb\\c");
    expect(values(String.raw`A=x\#comment`).A).toBe("x\\");
  });

  it("turns \\\\n into backslash-newline, or with DOTENV_LINEBREAK_MODE=legacy into a newline", () => {
    expect(values(String.raw`A="x\\ny"`).A).toBe("x\\\ny");
    expect(values(`DOTENV_LINEBREAK_MODE=legacy\nA="x\\\\ny"`).A).toBe("x\ny");
  });
});

describe("dotenv variable substitution (overwrite: true precedence)", () => {
  it("substitutes $VAR and ${VAR} from the environment", () => {
    expect(values("A=$HOME/x\nB=${HOME}y\nC=\"in $HOME quotes\"", { HOME: "/root" })).toEqual({ A: "/root/x", B: "/rooty", C: "in /root quotes" });
  });

  it("prefers keys defined earlier in the file over the environment", () => {
    expect(values("HOST=file.example\nURL=https://$HOST", { HOST: "env.example" }).URL).toBe("https://file.example");
  });

  it("sees only keys defined above, at the value they had then", () => {
    expect(values("B=[$A]\nA=1\nC=[$A]\nA=2\nD=[$A]", { A: "env" })).toEqual({ B: "[env]", A: "2", C: "[1]", D: "[2]" });
  });

  it("lets a key extend its environment value (PATH=$PATH:…)", () => {
    expect(values("PATH=$PATH:/opt/bin", { PATH: "/usr/bin" }).PATH).toBe("/usr/bin:/opt/bin");
  });

  it("gives an unset variable as empty", () => {
    expect(values("A=[$NOPE][${NOPE}]").A).toBe("[][]");
  });

  it("keeps \\$VAR and a lone $ literal", () => {
    expect(values(String.raw`A=\$HOME costs $ 5 and \${HOME}`, { HOME: "/root" }).A).toBe("$HOME costs $ 5 and ${HOME}");
  });

  it("matches names case-insensitively and greedily, as dotenv does", () => {
    expect(values("lower=1\nA=$lower\nB=$A_B\nC=${A}_B", {}).B).toBe("");
    expect(values("lower=1\nA=$lower\nC=${A}_B").C).toBe("1_B");
  });

  it("does not substitute in single quotes", () => {
    expect(values("A=1\nB='$A'").B).toBe("$A");
  });

  it("does not re-expand a substituted value", () => {
    expect(values("A='$B $(echo pwned)'\nB=x\nC=$A").C).toBe("$B $(echo pwned)");
  });
});

describe("dotenv command substitution", () => {
  it("runs $(…) and inserts its output", () => {
    const parsed = parse("A=$(op read op://vault/item/field)\nB=\"pre-$(echo mid)-post\"", {}, { "op read op://vault/item/field": "s3cret" });
    expect(parsed.values).toEqual({ A: "s3cret", B: "pre-mid-post" });
    expect(parsed.commands).toEqual(["op read op://vault/item/field", "echo mid"]);
  });

  it("passes the file, key and the keys defined so far", () => {
    const parsed = parse("X=1\nA=$(echo hi)");
    expect(parsed.substitutions[0]).toMatchObject({ file: ".kamal/secrets", key: "A", variables: { X: "1" } });
    expect(parsed.substitutions[0]!.expandVariables("[$X]")).toBe("[1]");
  });

  it("keeps nested parentheses inside one command", () => {
    const parsed = parse("A=$(cmd (a (b)) c)x", {}, { "cmd (a (b)) c": "out" });
    expect(parsed.values.A).toBe("outx");
    expect(parsed.commands).toEqual(["cmd (a (b)) c"]);
  });

  it("treats \\( and \\) inside a command as escaped characters (Kamal's rule)", () => {
    // dotenv's unescaping turns \\) into \) first; Kamal's pattern then skips it as escaped.
    const parsed = parse(String.raw`A="$(printf '%s' x\\)y)"`, {}, { "printf '%s' x\\)y": "done" });
    expect(parsed.commands).toEqual(["printf '%s' x\\)y"]);
    expect(parsed.values.A).toBe("done");
  });

  it("leaves \\$(…) unrun, as the literal $(…) with its variables expanded", () => {
    const parsed = parse(String.raw`A=\$(echo $HOME)`, { HOME: "/root" });
    expect(parsed.values.A).toBe("$(echo /root)");
    expect(parsed.commands).toEqual([]);
  });

  it("does not run commands in single quotes or empty $()", () => {
    const parsed = parse("A='$(echo no)'\nB=$()\nC=$(unclosed");
    expect(parsed.values).toEqual({ A: "$(echo no)", B: "$()", C: "$(unclosed" });
    expect(parsed.commands).toEqual([]);
  });

  it("inserts output literally: a $ in a secret survives (unlike dotenv, see kamal#1911)", () => {
    expect(values("A=$(vault)", { word: "EXPANDED" }, { vault: "pa$word$1" }).A).toBe("pa$word$1");
  });

  it("runs several commands in one value, left to right", () => {
    const parsed = parse("A=$(echo a)-$(echo b)");
    expect(parsed.values.A).toBe("a-b");
    expect(parsed.commands).toEqual(["echo a", "echo b"]);
  });

  it("gives the command text before variable substitution (the caller decides how to expand it)", () => {
    expect(parse("V=1\nA=$(show $V)", {}, { "show $V": "ok" }).commands).toEqual(["show $V"]);
  });

  it("refuses $(…) when no command runner is given", () => {
    expect(() => parseDotenv("A=$(date)", { file: "f", env: {} })).toThrow(/A in f uses \$\(…\)/);
  });
});

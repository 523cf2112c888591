import { describe, expect, it } from "vitest";
import {
  Redacted,
  argumentize,
  cmd,
  combine,
  optionize,
  pipe,
  quote,
  render,
  shell,
  singleQuote,
} from "../../../src/core/cmd.js";

describe("quote (Kamal escape_shell_value)", () => {
  it("double-quotes like Ruby's String#dump", () => {
    expect(quote("10m")).toBe('"10m"');
    expect(quote('say "hi"')).toBe('"say \\"hi\\""');
    expect(quote("a\\b")).toBe('"a\\\\b"');
    expect(quote("line\nnext")).toBe('"line\\nnext"');
    expect(quote("\x01\x7f")).toBe('"\\x01\\x7F"');
    expect(quote("#{x}")).toBe('"\\#{x}"');
  });
  it("escapes $ and backticks but keeps ${VAR} for remote expansion", () => {
    expect(quote("$HOME `id` ${KEEP}")).toBe('"\\$HOME \\`id\\` ${KEEP}"');
  });
  it("keeps non-ASCII runs raw between quoted ASCII runs", () => {
    expect(quote("héllo")).toBe('"h"é"llo"');
  });
});

describe("argumentize / optionize", () => {
  it("turns maps into flag pairs like Kamal", () => {
    const parts = argumentize("--env", { A: "1", B: "", C: false });
    expect(render(cmd(parts))).toBe('--env A="1" --env B --env C=false');
  });
  it("redacts sensitive values with the key kept", () => {
    const parts = argumentize("--build-arg", { TOKEN: "s3cret" }, { sensitive: true });
    expect(render(cmd(parts))).toBe("--build-arg TOKEN=[REDACTED]");
    expect(render(cmd(parts), { redact: false })).toBe('--build-arg TOKEN="s3cret"');
  });
  it("optionizes with spaces or =", () => {
    expect(render(cmd(optionize({ publish: ["80:80", "443:443"], detach: true, skip: false })))).toBe(
      '--publish "80:80" --publish "443:443" --detach',
    );
    expect(render(cmd(optionize({ "deploy-timeout": "30s" }, { with: "=" })))).toBe('--deploy-timeout="30s"');
  });
});

describe("composition", () => {
  it("combines, pipes and wraps in sh -c", () => {
    const c = combine(cmd("docker", "-v"), pipe(cmd("echo", "a"), cmd("grep", "a")));
    expect(render(c)).toBe("docker -v && echo a | grep a");
    expect(render(shell(cmd("echo", "it's")))).toBe("sh -c 'echo it'\\''s'");
  });
  it("never prints a Redacted value, but executes it", () => {
    const c = cmd("docker", "login", "-u", new Redacted("bob"));
    expect(render(c)).toBe("docker login -u [REDACTED]");
    expect(render(c, { redact: false })).toBe("docker login -u bob");
    expect(JSON.stringify(c)).not.toContain("bob");
  });
  it("single-quotes only when needed", () => {
    expect(singleQuote("/root/.kamal")).toBe("/root/.kamal");
    expect(singleQuote("a b")).toBe("'a b'");
    expect(singleQuote("")).toBe("''");
  });
});

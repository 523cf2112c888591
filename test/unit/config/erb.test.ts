// The ERB subset, rendered as Ruby's ERB.new(text, trim_mode: "-") would.
import { describe, expect, it } from "vitest";
import { renderErb } from "../../../src/config/erb.js";
import { ConfigError } from "../../../src/config/errors.js";

const render = (template: string, env: Record<string, string> = {}): string => renderErb(template, { file: "config/deploy.yml", env });

function failure(template: string, env: Record<string, string> = {}): { message: string; line: number; column: number } {
  try {
    render(template, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issue = error.issues[0]!;
    return { message: issue.message, line: issue.line, column: issue.column };
  }
  throw new Error("expected the template to fail");
}

describe("renderErb", () => {
  it("reads ENV with either quote style, nil rendering as empty", () => {
    expect(render(`a: <%= ENV["A"] %>\nb: <%= ENV['B'] %>\nc: "<%= ENV["C"] %>"`, { A: "1", B: "2" })).toBe('a: 1\nb: 2\nc: ""');
  });

  it("fetches with and without a default", () => {
    expect(render(`<%= ENV.fetch("A") %> <%= ENV.fetch("B", "dflt") %> <%= ENV.fetch('A', 'x') %>`, { A: "set" })).toBe("set dflt set");
  });

  it("falls back with || only for nil (an empty string is a value, as in Ruby)", () => {
    expect(render(`<%= ENV["MISSING"] || "d" %>|<%= ENV["EMPTY"] || "d" %>|<%= ENV["X"] || ENV["Y"] || 'z' %>`, { EMPTY: "", Y: "y" })).toBe("d||y");
  });

  it("runs %x() and backtick commands with /bin/sh, in the given environment", () => {
    expect(render("<%= %x(echo hi) %>")).toBe("hi\n");
    expect(render("<%= %x(echo $NAME).strip %>", { NAME: "berth" })).toBe("berth");
    expect(render("<%= `printf 'a\\nb\\n'`.chomp %>")).toBe("a\nb");
    expect(render("<%= %x{echo '{nested} [brackets]'}.strip %>")).toBe("{nested} [brackets]");
  });

  it("strips and chomps", () => {
    expect(render(`[<%= ENV["P"].strip %>][<%= ENV["P"].chomp %>][<%= " x ".lstrip %>]`, { P: "  v \n" })).toBe("[v][  v ][x ]");
  });

  it("renders string literals with escapes and interpolation", () => {
    expect(render(`<%= "a\\tb" %>|<%= 'it\\'s' %>|<%= "#{ENV["U"]}@host" %>`, { U: "me" })).toBe("a\tb|it's|me@host");
  });

  it("drops comments, trims with -%> and <%-, and unescapes <%%", () => {
    expect(render("<%# a comment %>x\n<%# trimmed -%>\ny\n")).toBe("x\ny\n");
    expect(render("a:\n  <%- # indentation dropped -%>\n  b: 1\n")).toBe("a:\n  b: 1\n");
    expect(render("v: <%= 'x' -%>\nw: 2\n")).toBe("v: xw: 2\n");
    expect(render("literal: <%%= kept %>\n")).toBe("literal: <%= kept %>\n");
    expect(render("keep <% %> spaces\n")).toBe("keep  spaces\n");
  });

  it("refuses anything else with the file, line, column and expression", () => {
    expect(failure("a: 1\nb: <%= Time.now %>\n")).toEqual({
      message: "ERB: unsupported expression `Time.now` (supported: ENV[\"X\"], ENV.fetch(\"X\"[, \"default\"]), %x(cmd), `cmd`, string literals, ||, .strip, .chomp)",
      line: 2,
      column: 4,
    });
    expect(failure("<% if ENV['X'] %>\nx\n<% end %>\n").message).toContain("unsupported expression `if ENV['X']`");
    expect(failure("<%= ENV['X'].upcase %>").message).toContain("unsupported expression `ENV['X'].upcase`");
    expect(failure("<%= 1 + 2 %>").message).toContain("unsupported expression `1 + 2`");
  });

  it("names the variable and line when ENV.fetch finds nothing", () => {
    expect(failure('x: 1\n\n  y: <%= ENV.fetch("DB_HOST") %>')).toEqual({
      message: 'ERB: ENV.fetch("DB_HOST"): environment variable DB_HOST is not set',
      line: 3,
      column: 6,
    });
  });

  it("names the command and line when a command fails", () => {
    expect(failure("a: 1\nb: <%= `false` %>\n")).toEqual({ message: "ERB: command `false` exited with status 1", line: 2, column: 4 });
  });

  it("refuses calling a method on nil, like Ruby", () => {
    expect(failure('<%= ENV["NOPE"].strip %>').message).toBe("ERB: undefined method 'strip' for nil in `ENV[\"NOPE\"].strip`");
  });

  it("reports an unterminated tag", () => {
    expect(failure("a: <%= ENV['A']\n").message).toMatch(/^ERB: unterminated ERB tag/);
  });
});

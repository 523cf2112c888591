// The ERB subset, rendered as Ruby's ERB.new(text, trim_mode: "-") would (the same forms are
// checked against real Kamal in test/integration/kamal/erb-oracle.test.ts), and its errors.
import { describe, expect, it } from "vitest";
import { endsInYamlComment, renderErb } from "../../../src/config/erb.js";
import { ConfigError } from "../../../src/config/errors.js";

const render = (template: string, env: Record<string, string> = {}, yaml = true): string =>
  renderErb(template, { file: "config/deploy.yml", env, yaml });

function failure(template: string, env: Record<string, string> = {}, yaml = true): { message: string; line: number; column: number } {
  try {
    render(template, env, yaml);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issue = error.issues[0]!;
    return { message: issue.message, line: issue.line, column: issue.column };
  }
  throw new Error("expected the template to fail");
}

const HINT = " (Berth's ERB evaluates a subset of Ruby: see `berth docs configuration`)";

describe("renderErb", () => {
  it("reads ENV with either quote style, nil rendering as empty", () => {
    expect(render(`a: <%= ENV["A"] %>\nb: <%= ENV['B'] %>\nc: "<%= ENV["C"] %>"`, { A: "1", B: "2" })).toBe('a: 1\nb: 2\nc: ""');
  });

  it("fetches with a default, with a block, and without", () => {
    expect(render(`<%= ENV.fetch("A") %> <%= ENV.fetch("B", "dflt") %> <%= ENV.fetch('B') { |k| k + "!" } %>`, { A: "set" })).toBe("set dflt B!");
  });

  it("falls back with || only for nil (an empty string is a value, as in Ruby)", () => {
    expect(render(`<%= ENV["MISSING"] || "d" %>|<%= ENV["EMPTY"] || "d" %>|<%= ENV["EMPTY"].presence || "d" %>`, { EMPTY: "" })).toBe("d||d");
  });

  it("runs %x() and backtick commands with /bin/sh, in the given environment", () => {
    expect(render("<%= %x(echo hi) %>")).toBe("hi\n");
    expect(render("<%= %x(echo $NAME).strip %>", { NAME: "berth" })).toBe("berth");
    expect(render("<%= `printf 'a\\nb\\n'`.chomp %>")).toBe("a\nb");
  });

  it("runs statements: variables, conditionals and loops over split results", () => {
    const template = [
      "<% hosts = ENV.fetch('HOSTS', '').split(',') -%>",
      "servers:",
      "<% if hosts.empty? -%>",
      "  - 10.0.0.1",
      "<% else -%>",
      "<%   hosts.each do |host| -%>",
      "  - <%= host.strip %>",
      "<%   end -%>",
      "<% end -%>",
      "",
    ].join("\n");
    expect(render(template, { HOSTS: "a, b" })).toBe("servers:\n  - a\n  - b\n");
    expect(render(template)).toBe("servers:\n  - 10.0.0.1\n");
  });

  it("lets a Ruby comment in a code tag swallow the rest of that line of code, as ERB does", () => {
    // The text after the tag is one print statement on the commented line: all of it goes.
    expect(render("<% # note %>gone\ngone too\n<%= 'kept' %>\n")).toBe("kept\n");
    expect(render("<%- # note -%>\nkept\n")).toBe("kept\n");
  });

  it("drops comments, trims with -%> and <%-, and unescapes <%%", () => {
    expect(render("<%# a comment %>x\n<%# trimmed -%>\ny\n")).toBe("x\ny\n");
    expect(render("a:\n  <%- # indentation dropped -%>\n  b: 1\n")).toBe("a:\n  b: 1\n");
    expect(render("v: <%= 'x' -%>\nw: 2\n")).toBe("v: xw: 2\n");
    expect(render("literal: <%%= kept %>\n")).toBe("literal: <%= kept %>\n");
  });
});

describe("Ruby outside the subset", () => {
  it("is refused with the line, the column of the construct, and its name", () => {
    expect(failure("a: 1\nb: <%= Time.now %>\n")).toEqual({ message: `ERB: unsupported Ruby: the constant Time${HINT}`, line: 2, column: 8 });
    expect(failure("x: <%= ENV['A'].gsub('a', 'b') %>", { A: "a" }).message).toBe(`ERB: unsupported Ruby: the method \`gsub\` (on String)${HINT}`);
    expect(failure("<% case ENV['X'] %>\n<% end %>\n")).toMatchObject({ message: `ERB: unsupported Ruby: \`case\`${HINT}`, line: 1, column: 4 });
    expect(failure("<%= { a: 1 } %>").message).toContain("hash literals");
    expect(failure("a: 1\n\n  <%= ENV['A'] =~ /x/ %>").message).toContain("regular expressions");
    expect(failure("<%= undefined_name %>").message).toContain("`undefined_name` (not a local variable assigned before");
  });

  it("names Ruby's own constants, which Berth can't know", () => {
    expect(failure('v: <%= "#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}" %>')).toMatchObject({
      message: `ERB: unsupported Ruby: RUBY_ENGINE, a constant of the Ruby running Kamal: write its value, or read it from ENV${HINT}`,
      column: 11,
    });
  });

  it("renders as nothing inside a YAML comment, where the output is discarded", () => {
    const line = '  #   RUBY_VERSION: <%= ENV["RBENV_VERSION"] || ENV["rvm_ruby_string"] || "#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}" %>\n';
    expect(render(line)).toBe("  #   RUBY_VERSION: \n");
    expect(render(line, { RBENV_VERSION: "3.3.0" })).toBe("  #   RUBY_VERSION: 3.3.0\n");
    expect(render("a: 1 # <%= Time.now %>\n")).toBe("a: 1 # \n");
    expect(failure("a: '#' <%= Time.now %>\n").message).toContain("the constant Time");
    // Not in a YAML file (an accessory's .erb file): no exception.
    expect(failure("# <%= Time.now %>\n", {}, false).message).toContain("the constant Time");
  });

  it("is refused only when reached, as Ruby raises NameError only then", () => {
    expect(render("<% if false %><%= Time.now %><% end %>ok")).toBe("ok");
  });
});

describe("Ruby errors", () => {
  it("names the variable and line when ENV.fetch finds nothing", () => {
    expect(failure('x: 1\n\n  y: <%= ENV.fetch("DB_HOST") %>')).toEqual({
      message: 'ERB: ENV.fetch("DB_HOST"): environment variable DB_HOST is not set',
      line: 3,
      column: 14,
    });
  });

  it("names the command and line when a command fails (where Kamal would go on with its output)", () => {
    expect(failure("a: 1\nb: <%= `false` %>\n")).toEqual({ message: "ERB: command `false` exited with status 1", line: 2, column: 8 });
  });

  it("refuses calling a method on nil, like Ruby", () => {
    expect(failure('<%= ENV["NOPE"].strip %>').message).toBe("ERB: undefined method `strip' for nil:NilClass (NoMethodError)");
    expect(failure("<%= 'x' + nil %>").message).toBe("ERB: no implicit conversion of nil into String (TypeError)");
  });

  it("reports syntax errors where they are", () => {
    expect(failure("a: 1\n<% if true %>\nb: 2\n")).toMatchObject({ message: "ERB: syntax error: missing `end` for this `if`", line: 2, column: 4 });
    expect(failure("a: 1\n<% end %>\n")).toMatchObject({ message: "ERB: syntax error: unexpected `end`", line: 2, column: 4 });
    expect(failure("<%-= 1 %>").message).toBe("ERB: syntax error: `<%-=` is not an output tag (Ruby reads `= …` as code): write `<%=`");
  });

  it("reports an unterminated tag", () => {
    expect(failure("a: <%= ENV['A']\n")).toMatchObject({ message: "ERB: unterminated ERB tag <%= ENV['A']… (no %> closes it)", line: 1, column: 4 });
  });
});

describe("endsInYamlComment", () => {
  it("finds a # after a blank, outside quotes", () => {
    expect(["# x", "  #", "a: 1 #", "a: 'x' #", 'a: "\\"" # c'].map(endsInYamlComment)).toEqual([true, true, true, true, true]);
    expect(["a#b", "a: '# no'", 'a: "# no', "url: http://x/#frag"].map(endsInYamlComment)).toEqual([false, false, false, false]);
  });
});

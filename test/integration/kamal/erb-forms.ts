// ERB forms real deploy.yml files write, each rendered by Kamal (the oracle) and by Berth in
// erb-oracle.test.ts. `env` is the whole environment the template sees (plus PATH and a locale).

export interface ErbForm {
  readonly name: string;
  readonly template: string;
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Compare the YAML both renderings parse to, not the text: only for Ruby outside the subset
   * inside a YAML comment, which Kamal evaluates and Berth renders as nothing.
   */
  readonly asYaml?: boolean;
}

const HOSTS = { HOSTS: "10.0.0.1, 10.0.0.2,10.0.0.3", ROLE: "web", EMPTY: "", BLANK: "  \t", N: "3" };

export const ERB_FORMS: readonly ErbForm[] = [
  // Tags and trimming
  { name: "output, comment and literal tags", template: "a: <%= 'x' %>\n<%# note %>\nb: <%%= kept %> %%> <%= \"%%>\" %>\n" },
  { name: "-%> swallows the newline, <%- the indentation", template: "list:\n  <%- if true -%>\n  - a\n  <%- end -%>\n  - b <%- 1 -%>\nc: 1\n" },
  { name: "<%- after text keeps the text", template: "a: 1 <%- x = 2 %>\nb: <%= x %>\n" },
  { name: "-%> at the end of the file", template: "a: <%= 1 -%>" },
  { name: "a comment tag keeps its newline", template: "<%# c %>\na: 1\n<%# c -%>\nb: 2\n" },
  { name: "a Ruby comment in a code tag swallows the rest of the line", template: "<% # note %>lost <%= 'also lost' %>\nkept: <%= 1 %>\n" },
  { name: "a Ruby comment ended by -%>", template: "<%- # note -%>\nkept: 1\n" },
  { name: "code tags across lines", template: "<%\n  a = 1\n  b = a + 1\n%>\nv: <%= b %>\n" },
  { name: "statements separated by semicolons", template: "<% a = 'x'; b = 'y' %><%= a + b %>\n" },
  { name: "CRLF after -%>", template: "<% x = 1 -%>\r\na: <%= x %>\r\n" },

  // ENV
  { name: "ENV[] with both quotes, missing is nil", template: "a: <%= ENV['A'] %>|<%= ENV[\"B\"] %>|<%= ENV['MISSING'] %>", env: { A: "1", B: "two" } },
  { name: "ENV.fetch with a default", template: "<%= ENV.fetch('A', 'd') %> <%= ENV.fetch('MISSING', 'd') %> <%= ENV.fetch('MISSING', nil).inspect %>", env: { A: "set" } },
  { name: "ENV.fetch with a block", template: "<%= ENV.fetch('MISSING') { 'from block' } %> <%= ENV.fetch('MISSING') { |name| name.downcase } %> <%= ENV.fetch('A') { 'x' } %>", env: { A: "set" } },
  { name: "ENV.fetch with a block over several lines", template: "<%= ENV.fetch('MISSING') do\n  'multi'\nend %>" },
  { name: "ENV.fetch without parentheses", template: "<%= ENV.fetch 'A', 'd' %> <%= ENV.fetch 'MISSING', 'd' %>", env: { A: "a" } },
  { name: "ENV.key?", template: "<%= ENV.key?('A') %> <%= ENV.key?('MISSING') %> <%= ENV.include?('A') %>", env: { A: "" } },
  { name: "KAMAL_DESTINATION-style defaults", template: "host: <%= ENV['DEST'] == 'production' ? 'app.example.com' : \"#{ENV.fetch('DEST', 'dev')}.example.com\" %>", env: { DEST: "staging" } },

  // Strings
  { name: "double-quoted escapes", template: "<%= \"a\\tb\\\\c\\\"d\\e[0m\\s\\u00e9\\x41\\101\" %>" },
  { name: "single-quoted escapes", template: "<%= 'it\\'s a \\\\ and \\n' %>" },
  { name: "interpolation with expressions", template: "<%= \"#{ENV['U']}@#{'host'.upcase}:#{1 + 2}#{nil}#{[1, 'a']}\" %>", env: { U: "me" } },
  { name: "nested interpolation and quotes", template: "<%= \"a#{\"b#{'c'}\"}\" %> <%= \"#{ENV.fetch(\"X\", \"}\")}\" %>" },
  { name: "percent literals", template: "<%= %q(single #{x}) %> <%= %Q(double #{1}) %> <%= %(paren (nested)) %> <%= %w[a b  c].join(',') %>" },
  { name: "+ concatenation", template: "<%= 'a' + 'b' + ENV['A'] %> <%= [1] + [2] %> <%= 1 + 2 %>", env: { A: "c" } },
  { name: "string methods", template: "[<%= \"  Mixed Case \\n\".strip.downcase %>][<%= 'x'.upcase %>][<%= \" a \".lstrip %>][<%= \" a \".rstrip %>][<%= \"v\\r\\n\".chomp %>][<%= 'file.yml'.chomp('.yml') %>]" },
  { name: "strip removes NUL and vertical tab", template: "[<%= \"\\0\\v a \\v\\0\".strip %>]" },
  { name: "to_i", template: "<%= ' 12abc'.to_i %> <%= '-3'.to_i %> <%= 'x'.to_i %> <%= '1_000'.to_i %> <%= '0x1A'.to_i %> <%= nil.to_i %> <%= ENV['N'].to_i + 1 %>", env: HOSTS },
  { name: "to_s", template: "<%= 1.to_s + '0' %> <%= nil.to_s.empty? %> <%= true.to_s %> <%= [1, nil, 'a'].to_s %> <%= (1..3).to_s %>" },
  { name: "split: whitespace, separator, empty fields, limit", template: "<%= ' a  b '.split.inspect %> <%= 'a,b,,'.split(',').inspect %> <%= ',a'.split(',').inspect %> <%= ''.split(',').inspect %> <%= 'a,b,c'.split(',', 2).inspect %> <%= 'a,,'.split(',', -1).inspect %> <%= 'ab'.split('').inspect %>" },
  { name: "empty?, length, include?, start_with?", template: "<%= ''.empty? %> <%= 'a'.empty? %> <%= 'héllo'.length %> <%= 'abc'.include?('b') %> <%= 'abc'.start_with?('x', 'a') %> <%= 'abc'.end_with?('bc') %>" },
  { name: "inspect of strings", template: "<%= \"q\\\"b\\\\n\\n\\t\\e\\u0001 \\#{x} é\".inspect %> <%= nil.inspect %> <%= ['a', 1, nil, true].inspect %>" },
  { name: "string indexing", template: "<%= 'abc'[0] %> <%= 'abc'[-1] %> <%= 'abc'[5].inspect %> <%= 'abc'['b'] %>" },

  // present?, blank?, nil?
  { name: "present? and blank?", template: "<%= ENV['EMPTY'].present? %> <%= ENV['BLANK'].blank? %> <%= ENV['ROLE'].present? %> <%= ENV['MISSING'].blank? %> <%= [].blank? %> <%= [nil].present? %> <%= 0.blank? %> <%= false.blank? %>", env: HOSTS },
  { name: "presence", template: "<%= ENV['EMPTY'].presence || 'default' %> <%= ENV['ROLE'].presence || 'default' %>", env: HOSTS },
  { name: "nil?", template: "<%= ENV['MISSING'].nil? %> <%= ENV['EMPTY'].nil? %> <%= nil.nil? %>", env: HOSTS },

  // Operators
  { name: "&&, ||, !, ==, !=", template: "<%= ENV['A'] && 'yes' %> <%= ENV['MISSING'] && 'yes' %> <%= ENV['MISSING'] || ENV['A'] %> <%= !ENV['A'] %> <%= !!ENV['A'] %> <%= ENV['A'] == 'a' %> <%= ENV['A'] != 'a' %> <%= 1 == '1' %> <%= nil == false %>", env: { A: "a" } },
  { name: "and, or, not", template: "<% if ENV['A'] and not ENV['MISSING'] %>both<% end %> <%= (nil or 'x') %>", env: { A: "a" } },
  { name: "ternaries, nested", template: "<%= ENV['A'] ? 'set' : 'unset' %> <%= ENV['MISSING'] ? 'set' : ENV['A'] == 'a' ? 'a' : 'other' %>", env: { A: "a" } },
  { name: "comparisons and arithmetic", template: "<%= 2 > 1 %> <%= 'a' < 'b' %> <%= 7 / 2 %> <%= -7 / 2 %> <%= 7 % 3 %> <%= -7 % 3 %> <%= 2 * 3 - 1 %> <%= 'ab' * 2 %> <%= ENV['N'].to_i >= 3 %>", env: HOSTS },
  { name: "||= and +=", template: "<% a ||= 'first'; a ||= 'second'; n = 1; n += 2; s = 'x'; s += 'y' %><%= a %> <%= n %> <%= s %>" },

  // Conditionals
  { name: "if / elsif / else", template: "<% if ENV['ROLE'] == 'job' %>job<% elsif ENV['ROLE'] == 'web' %>web<% else %>other<% end %>", env: HOSTS },
  { name: "if with then and else on lines", template: "<% if ENV['MISSING'] then %>\nyes\n<% else -%>\nno\n<% end -%>\nafter\n" },
  { name: "unless / else", template: "<% unless ENV['EMPTY'].present? %>empty<% else %>full<% end %>|<% unless ENV['ROLE'].empty? -%>\nrole: <%= ENV['ROLE'] %>\n<% end -%>\n", env: HOSTS },
  { name: "modifier if and unless", template: "<%= 'shown' if ENV['ROLE'] %>|<%= 'hidden' if ENV['MISSING'] %>|<%= 'x' unless ENV['MISSING'] %>\n<% v = 'set' if true %><%= v %>", env: HOSTS },
  { name: "an if that assigns nothing leaves the variable nil", template: "<% x = 1 if false %>[<%= x.inspect %>]" },
  { name: "if as an expression", template: "<% kind = if ENV['ROLE'] == 'web' then 'http' else 'none' end %><%= kind %>", env: HOSTS },

  // Loops
  { name: "each over an array literal, with -%>", template: "hosts:\n<% ['10.0.0.1', '10.0.0.2'].each do |host| -%>\n  - <%= host %>\n<% end -%>\n" },
  { name: "each over a split, with strip", template: "servers:\n  web:\n<% ENV['HOSTS'].split(',').each do |host| -%>\n    - <%= host.strip %>\n<% end -%>\n", env: HOSTS },
  { name: "each over a range", template: "<% (1..3).each do |i| %>web<%= i %> <% end %>|<% (1...3).each { |i| %><%= i %><% } %>" },
  { name: "each_with_index and braces", template: "<% %w[a b].each_with_index do |name, index| %><%= index %>=<%= name %>;<% end %>" },
  { name: "map with a block and with &:", template: "<%= ENV['HOSTS'].split(',').map(&:strip).join(' ') %>|<%= (1..3).map { |i| \"h#{i}\" }.join(',') %>", env: HOSTS },
  { name: "first, last, join", template: "<%= ENV['HOSTS'].split(',').first %>|<%= ENV['HOSTS'].split(',').last.strip %>|<%= [].first.inspect %>|<%= [1, 2, 3].first(2).inspect %>|<%= [1, 2, 3].last(2).inspect %>|<%= [1, [2, nil], 'a'].join('-') %>|<%= (1..4).last %>|<%= (1...4).last %>", env: HOSTS },
  { name: "block variables shadow, outer variables are shared", template: "<% host = 'outer'; count = 0 %><% ['a', 'b'].each do |host| %><% count += 1; inner = host %><% end %><%= host %> <%= count %>" },
  { name: "nested loops", template: "<% (1..2).each do |i| %><% %w[a b].each do |s| %><%= i %><%= s %> <% end %><% end %>" },
  { name: "times", template: "<% 3.times do |i| %><%= i %><% end %>" },
  { name: "each with two parameters over pairs", template: "<% [['web', 1], ['job', 2]].each do |role, count| %><%= role %>=<%= count %> <% end %>" },
  { name: "length, size, include?, compact, empty? on arrays", template: "<%= [1, nil].length %> <%= [1].size %> <%= %w[a b].include?('b') %> <%= [1, nil].compact.inspect %> <%= [].empty? %>" },
  { name: "array indexing", template: "<%= %w[a b c][1] %> <%= %w[a b c][-1] %> <%= [][0].inspect %>" },

  // Safe navigation and chains across lines
  { name: "&. on nil and on a value", template: "<%= ENV['MISSING']&.strip.inspect %> <%= ENV['ROLE']&.upcase %>", env: HOSTS },
  { name: "method chain continued on the next line", template: "<%= ENV['HOSTS']\n  .split(',')\n  .map(&:strip)\n  .first %>", env: HOSTS },

  // Commands
  { name: "backticks and %x()", template: "<%= `printf 'a\\nb\\n'`.chomp %>|<%= %x(echo $ROLE).strip %>|<%= %x{echo '{nested} (parens)'}.strip %>", env: HOSTS },
  { name: "escapes in commands are Ruby's", template: "<%= `printf '%s' \"\\$HOME\"` %>|<%= `echo a\\ b` %>", env: { HOME: "/home/x" } },
  { name: "command with interpolation", template: "<%= `echo #{ENV['ROLE']}-#{1 + 1}`.strip %>", env: HOSTS },

  // The line kamal init writes, outside a comment it is Ruby the subset can't evaluate, inside one:
  { name: "kamal init's commented-out RUBY_ENGINE line", asYaml: true, template: "builder:\n  # args:\n  #   RUBY_VERSION: <%= ENV[\"RBENV_VERSION\"] || ENV[\"rvm_ruby_string\"] || \"#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}\" %>\n  arch: amd64\n" },
  { name: "kamal init's line with RBENV_VERSION set", template: "  #   RUBY_VERSION: <%= ENV[\"RBENV_VERSION\"] || ENV[\"rvm_ruby_string\"] || \"#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}\" %>\n", env: { RBENV_VERSION: "3.3.0" } },
  { name: "Ruby outside the subset in a trailing YAML comment", asYaml: true, template: "a: '#' # <%= Time.now.year %>\nb: \"x\" # <%= RUBY_VERSION %>\n" },
  { name: "a supported expression in a YAML comment still renders", template: "a: 1 # was <%= ENV['ROLE'] %>\n", env: HOSTS },
];

/** Ruby errors: Kamal fails on these, and so must Berth. */
export const ERB_ERRORS: readonly ErbForm[] = [
  { name: "ENV.fetch of a missing variable", template: "a: <%= ENV.fetch('MISSING') %>" },
  { name: "a method called on nil", template: "a: <%= ENV['MISSING'].strip %>" },
  { name: "String + nil", template: "a: <%= 'x' + ENV['MISSING'] %>" },
  { name: "Integer + String", template: "a: <%= 1 + '1' %>" },
  { name: "empty? on nil", template: "a: <%= nil.empty? %>" },
  { name: "a String method on an Array", template: "a: <%= [1].strip %>" },
  { name: "an unclosed if", template: "<% if true %>\na: 1\n" },
  { name: "an end without an if", template: "a: 1\n<% end %>\n" },
  { name: "ENV.fetch in a comment still fails", template: "# <%= ENV.fetch('MISSING') %>\n" },
  { name: "division by zero", template: "<%= 1 / 0 %>" },
  { name: "<%-= is not an output tag", template: "<%-= 1 %>" },
  { name: "String#first is not loaded in Kamal", template: "<%= 'abc'.first %>" },
];

/** Where Kamal renders something and Berth stops with an error instead (README: differs from Kamal). */
export const BERTH_STRICTER: readonly ErbForm[] = [
  { name: "a failing command (Kamal renders its output, here nothing)", template: "password: <%= `false` %>\n" },
  { name: "an unterminated tag (Kamal renders its code as text)", template: "a: <%= ENV['A']\nb: 1\n" },
];

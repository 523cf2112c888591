# Loaded with RUBYOPT=-r into a real `kamal config` process (see kamal.ts). The first time Kamal
# renders its deploy.yml, this renders every template in $BERTH_ERB_CASES instead, each with its
# own ENV, exactly as Kamal renders deploy.yml (ERB.new(text, trim_mode: "-").result) and with
# everything Kamal has loaded by then, and for cases marked "yaml" loads the result as Kamal does
# (YAML.unsafe_load); writes the outputs (or errors, with Psych's line and column) as JSON to
# $BERTH_ERB_RESULTS and exits before Kamal goes on.
require "erb"
require "json"
require "yaml"

module BerthErbOracle
  def result(*args)
    cases_path = ENV["BERTH_ERB_CASES"]
    results_path = ENV["BERTH_ERB_RESULTS"]
    return super unless cases_path && results_path

    results = JSON.parse(File.read(cases_path, encoding: "UTF-8")).map do |test_case|
      ENV.replace(test_case.fetch("env"))
      begin
        output = ERB.new(test_case.fetch("template"), trim_mode: "-").result
        YAML.unsafe_load(output) if test_case["yaml"]
        { "output" => output }
      rescue Psych::SyntaxError => e
        { "error" => "#{e.class}: #{e.message}", "line" => e.line, "column" => e.column }
      rescue Exception => e # rubocop:disable Lint/RescueException -- SyntaxError is a ScriptError
        { "error" => "#{e.class}: #{e.message}" }
      end
    end
    File.write(results_path, JSON.generate(results))
    exit!(0)
  end
end

ERB.prepend(BerthErbOracle)

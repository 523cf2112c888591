// From files on disk to a validated Configuration: read config/deploy.yml (and
// config/deploy.<dest>.yml), render ERB, parse YAML as Psych does, deep-merge the destination
// file, validate everything at once, and build the resolved model.
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import type { SecretsLookup } from "../secrets/types.js";
import { NOT_RUN_IN_PLAN, RUN_COMMANDS, checkInterrupted, replaying, runShell, runShellSync } from "../util/local-commands.js";
import type { CommandOutcome, CommandPolicy } from "../util/local-commands.js";
import { BerthError } from "../util/errors.js";
import { renderErb } from "./erb.js";
import { ConfigError } from "./errors.js";
import type { ConfigIssue } from "./errors.js";
import { checkYamlText, readTextFile } from "./limits.js";
import { deepMerge } from "./merge.js";
import { Configuration } from "./model/configuration.js";
import { checkConfiguration } from "./configuration-checks.js";
import { checkSections } from "./section-checks.js";
import { checkHosts } from "./host-checks.js";
import type { Finding } from "./finding.js";
import { deploySchema } from "./schema/root.js";
import { checkVersion } from "./version.js";
import { validateWithSchema } from "./schema/validate.js";
import { parseYaml } from "./yaml.js";
import type { Path, SourceMap, YamlValue } from "./yaml-source-map.js";

export interface LoadConfigOptions {
  /** Defaults to `config/deploy.yml` (relative to cwd). */
  readonly configFile?: string;
  /** Also merges `deploy.<destination>.yml` from the config file's directory. */
  readonly destination?: string;
  /** `--version`; otherwise `$VERSION`, otherwise git when first needed. */
  readonly version?: string;
  readonly cwd?: string;
  /** What ERB's `ENV` reads and commands run with (plus KAMAL_DESTINATION). Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly secrets?: SecretsLookup;
  /** Whether ERB's commands run (default: they do; `--plan` refuses them). */
  readonly commands?: CommandPolicy;
  /** Runs ERB's commands in place of a shell here (loadConfigAsync replays them). */
  readonly runCommand?: (request: ErbCommand) => CommandOutcome;
}

/** One `%x()` or backtick command of a configuration file, with what it runs with. */
export interface ErbCommand {
  readonly command: string;
  readonly file: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A configuration file's text, for loading from memory (tests, editors). */
export interface ConfigSource {
  /** The path shown in messages. */
  readonly file: string;
  readonly text: string;
}

export interface LoadFromSourcesOptions extends Omit<LoadConfigOptions, "configFile"> {
  readonly base: ConfigSource;
  readonly destinationSource?: ConfigSource;
}

/** The destination file next to the config file: `deploy.yml` → `deploy.staging.yml` (Ruby's sub_ext). */
export function destinationConfigFile(configFile: string, destination: string): string {
  return join(dirname(configFile), `${basename(configFile, extname(configFile))}.${destination}.yml`);
}

/**
 * A destination names files (`deploy.<dest>.yml`, `.kamal/secrets.<dest>`), containers and the lock
 * directory on the servers: a name that is empty, climbs directories or holds shell syntax is refused.
 */
function checkDestination(destination: string): void {
  if (/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(destination) && !destination.includes("..")) return;
  throw new BerthError(
    `Destination ${JSON.stringify(destination)} (-d) can't be used: a destination is letters, digits, "_", "-" and ".", not starting with "." and without ".."`,
    "Berth::ConfigurationError",
  );
}

function displayPath(file: string, cwd: string): string {
  const shown = relative(cwd, file);
  return shown !== "" && !shown.startsWith("..") ? shown : file;
}

function readSource(file: string, cwd: string, what: string): ConfigSource {
  const shown = displayPath(file, cwd);
  return { file: shown, text: readTextFile(file, shown, what) };
}

/** Loads, validates and resolves the configuration (Kamal's Configuration.create_from). */
export function loadConfig(options: LoadConfigOptions = {}): Configuration {
  const cwd = resolve(options.cwd ?? process.cwd());
  if (options.destination !== undefined) checkDestination(options.destination);
  const configFile = resolve(cwd, options.configFile ?? "config/deploy.yml");
  const base = readSource(configFile, cwd, "Configuration file");
  const destinationSource =
    options.destination === undefined
      ? undefined
      : readSource(destinationConfigFile(configFile, options.destination), cwd, `Configuration file for destination ${options.destination}`);
  return loadConfigFromSources({ ...options, cwd, base, ...(destinationSource ? { destinationSource } : {}) });
}

/**
 * Like loadConfig, but ERB's commands run while the event loop keeps going, so Ctrl-C and
 * SIGTERM (which abort `signal`) stop the load at once, killing a command still running.
 */
export async function loadConfigAsync(options: LoadConfigOptions & { readonly signal?: AbortSignal }): Promise<Configuration> {
  const policy = options.commands ?? RUN_COMMANDS;
  const { signal } = options;
  const configuration = await replaying<ErbCommand, CommandOutcome, Configuration>(
    (runCommand) => loadConfig({ ...options, runCommand }),
    async (request) => {
      policy.onCommand?.({ source: "erb", file: request.file, command: request.command, ran: policy.run });
      if (!policy.run) return { failure: NOT_RUN_IN_PLAN };
      return runShell(request.command, { cwd: request.cwd, env: request.env, ...(signal ? { signal } : {}) });
    },
    signal,
  );
  // Parsing and validating run without a break: a signal sent meanwhile is handled here.
  await checkInterrupted(signal);
  return configuration;
}

function runErbCommand(policy: CommandPolicy): (request: ErbCommand) => CommandOutcome {
  return (request) => {
    policy.onCommand?.({ source: "erb", file: request.file, command: request.command, ran: policy.run });
    return policy.run ? runShellSync(request.command, { cwd: request.cwd, env: request.env }) : { failure: NOT_RUN_IN_PLAN };
  };
}

/** Like loadConfig, from texts already in memory. */
export function loadConfigFromSources(options: LoadFromSourcesOptions): Configuration {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  // Kamal sets KAMAL_DESTINATION before rendering, and clears it without a destination.
  if (options.destination === undefined) delete env.KAMAL_DESTINATION;
  else env.KAMAL_DESTINATION = options.destination;

  const runCommand = options.runCommand ?? runErbCommand(options.commands ?? RUN_COMMANDS);
  const documents = [options.base, ...(options.destinationSource ? [options.destinationSource] : [])].map((source) => {
    const rendered = renderErb(source.text, {
      file: source.file,
      env,
      cwd,
      yaml: true,
      runCommand: (command) => runCommand({ command, file: source.file, cwd, env }),
    });
    checkYamlText(rendered, source.file, rendered !== source.text);
    const parsed = parseYaml(rendered, source.file);
    if (parsed.value === null || typeof parsed.value !== "object" || Array.isArray(parsed.value)) {
      throw new ConfigError([{ path: "", message: "should contain a hash of settings", file: source.file, line: 1, column: 1 }]);
    }
    return parsed;
  });
  const raw = documents.reduce<YamlValue>((merged, document) => deepMerge(merged, document.value), {}) as Record<string, unknown>;
  const locate = locator(documents.map((document) => document.sourceMap));

  const schemaIssues = validateWithSchema(raw, deploySchema).map((issue) => toIssue(issue, locate));
  const sectionIssues = [...checkSections(raw, { destination: options.destination }), ...checkHosts(raw)].map((finding) => toIssue(finding, locate));
  const issues = [...schemaIssues, ...sectionIssues];
  if (issues.length > 0) throw new ConfigError(sortIssues(issues, documents.map((document) => document.sourceMap.file)));

  // A version given is checked now; one from git is always a valid tag.
  if (options.version !== undefined && options.version !== "") checkVersion(options.version, "--version");
  else if ((options.env ?? process.env).VERSION) checkVersion((options.env ?? process.env).VERSION!, "$VERSION");
  const configuration = new Configuration(raw, {
    cwd,
    env: options.env ?? process.env,
    configFile: options.base.file,
    ...(options.destination === undefined ? {} : { destination: options.destination }),
    ...(options.destinationSource ? { destinationFile: options.destinationSource.file } : {}),
    ...(options.version === undefined ? {} : { version: options.version }),
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const findings = checkConfiguration(configuration).map((finding) => toIssue(finding, locate));
  if (findings.length > 0) throw new ConfigError(sortIssues(findings, documents.map((document) => document.sourceMap.file)));
  return configuration;
}

type Locator = (path: Path, at: "key" | "value") => { file: string; line: number; column: number };

/** Finds where a path was written: the destination file wins for what it sets. */
function locator(maps: readonly SourceMap[]): Locator {
  const [base, destination] = maps;
  return (path, at) => {
    for (let length = path.length; length >= 0; length--) {
      const prefix = path.slice(0, length);
      const candidates = length === 0 ? [base, destination] : [destination, base];
      for (const map of candidates) {
        const location = map?.get(prefix);
        if (!location) continue;
        // A map or list value starts on the next line; its key is the better place to point at.
        const exact = length === path.length;
        const position = exact && at === "value" && !location.collection ? location.value : (location.key ?? location.value);
        return { file: location.file, line: position.line, column: position.column };
      }
    }
    return { file: base?.file ?? "", line: 0, column: 0 };
  };
}

function joinPath(path: Path): string {
  return path.map(String).join("/");
}

function toIssue(finding: Finding, locate: Locator): ConfigIssue {
  const location = locate(finding.locate ?? finding.path, finding.at ?? "value");
  return {
    path: joinPath(finding.path),
    message: finding.message,
    ...location,
    ...(finding.suggestion === undefined ? {} : { suggestion: finding.suggestion }),
  };
}

function sortIssues(issues: ConfigIssue[], files: readonly string[]): ConfigIssue[] {
  const order = (file: string): number => {
    const index = files.indexOf(file);
    return index === -1 ? files.length : index;
  };
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => order(a.issue.file) - order(b.issue.file) || a.issue.line - b.issue.line || a.issue.column - b.issue.column || a.index - b.index)
    .map(({ issue }) => issue);
}

// Kamal's semantic checks of one section at a time (like Kamal's Validator subclasses), beyond
// types and keys. They run on the raw tree together with the schema, so every problem is
// reported at once. Messages are Kamal's.
import { isIP } from "node:net";
import { BERTH_VERSION, KAMAL_COMPAT_VERSION } from "../version.js";
import { findingCollector, type AddFinding, type Finding } from "./finding.js";
import { RESTART_POLICY } from "./model/role.js";
import { isHash, present, text } from "./model/values.js";
import type { Path } from "./yaml-source-map.js";

/** Commands an alias may not shadow. */
const BUILT_IN_COMMANDS: readonly string[] = [
  "accessory", "app", "audit", "build", "config", "deploy", "details", "docs", "help", "init", "lock",
  "proxy", "prune", "redeploy", "registry", "remove", "rollback", "schema", "secrets", "server", "setup",
  "upgrade", "version",
];

const HOOKS_OUTPUT_LEVELS = ["quiet", "verbose"];
const RESERVED_LABELS = ["destination", "role", "service"];
const HOST_SELECTORS = ["host", "hosts", "role", "roles", "tag", "tags"];

export function checkSections(raw: Readonly<Record<string, unknown>>, options: { destination?: string | undefined }): Finding[] {
  const { findings, add } = findingCollector();

  if (raw.require_destination === true && options.destination === undefined) {
    add(["require_destination"], "You must specify a destination");
  }
  // Kamal matches the raw value: a number or a boolean (`service: 123`) is not a name. A list or
  // a map is the schema's "should be a string" alone.
  const service = raw.service;
  const scalar = typeof service === "string" || typeof service === "number" || typeof service === "boolean";
  if (present(service) && scalar && (typeof service !== "string" || !/^[a-z0-9_-]+$/i.test(service))) {
    add(["service"], "Service name can only include alphanumeric characters, hyphens, and underscores");
  }
  if (typeof raw.retain_containers === "number" && raw.retain_containers < 1) {
    add(["retain_containers"], "Must retain at least 1 container");
  }
  if (present(raw.minimum_version) && compareVersions(text(raw.minimum_version), KAMAL_COMPAT_VERSION) > 0) {
    add(
      ["minimum_version"],
      `Current version is ${KAMAL_COMPAT_VERSION}, minimum required is ${text(raw.minimum_version)} (minimum_version names a Kamal version: Berth ${BERTH_VERSION} does what Kamal ${KAMAL_COMPAT_VERSION} does)`,
    );
  }

  checkRegistry(raw.registry, ["registry"], add);
  checkLabels(raw.labels, ["labels"], add);
  checkHooksOutput(raw.hooks_output, add);
  checkBuilder(raw.builder, add);
  checkBoot(raw.boot, add);
  if (isHash(raw.proxy)) checkProxy(raw.proxy, ["proxy"], add);
  checkBerth(raw["x-berth"], add);

  if (isHash(raw.servers)) {
    for (const [name, role] of Object.entries(raw.servers)) {
      if (!isHash(role)) continue;
      const path = ["servers", name];
      checkLabels(role.labels, [...path, "labels"], add);
      checkRestartPolicy(role.options, [...path, "options"], add);
      if (isHash(role.proxy)) checkProxy(role.proxy, [...path, "proxy"], add);
    }
  }

  if (isHash(raw.accessories)) {
    for (const [name, accessory] of Object.entries(raw.accessories)) {
      if (!isHash(accessory)) continue;
      const path = ["accessories", name];
      const selectors = Object.keys(accessory).filter((key) => HOST_SELECTORS.includes(key));
      if (selectors.length !== 1) {
        add(path, "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`", selectors.length > 1 ? [...path, selectors[1]!] : path);
      }
      checkLabels(accessory.labels, [...path, "labels"], add);
      checkRestartPolicy(accessory.options, [...path, "options"], add);
      if (isHash(accessory.registry)) checkRegistry(accessory.registry, [...path, "registry"], add);
      if (isHash(accessory.proxy)) checkProxy(accessory.proxy, [...path, "proxy"], add);
    }
  }

  if (isHash(raw.aliases)) {
    for (const name of Object.keys(raw.aliases)) {
      if (!/^[a-z0-9_-]+$/.test(name)) {
        add(["aliases", name], `Invalid alias name: '${name}'. Must only contain lowercase letters, alphanumeric, hyphens and underscores.`);
      } else if (BUILT_IN_COMMANDS.includes(name)) {
        add(["aliases", name], `Alias '${name}' conflicts with a built-in command.`);
      }
    }
  }
  return findings;
}

function checkRegistry(registry: unknown, path: Path, add: AddFinding): void {
  if (!isHash(registry)) return;
  if (/^localhost[:$]/.test(present(registry.server) ? text(registry.server) : "")) return;
  for (const key of ["username", "password"]) {
    const value = registry[key];
    const blank = !present(value) || (Array.isArray(value) && value.length === 1 && !present(value[0]));
    if (blank) add([...path, key], "is required");
  }
}

function checkLabels(labels: unknown, path: Path, add: AddFinding): void {
  if (!isHash(labels)) return;
  for (const key of Object.keys(labels)) {
    if (RESERVED_LABELS.includes(key)) add([...path, key], "invalid label. destination, role, and service are reserved labels");
  }
}

function checkRestartPolicy(options: unknown, path: Path, add: AddFinding): void {
  if (!isHash(options) || !("restart" in options)) return;
  const restart = options.restart;
  if (restart === null || restart === false) return;
  if (!RESTART_POLICY.test(text(restart))) {
    add([...path, "restart"], `invalid restart policy ${text(restart)}, should be no, always, unless-stopped or on-failure[:max-retries]`);
  }
}

function checkHooksOutput(setting: unknown, add: AddFinding): void {
  if (setting === undefined || setting === null) return;
  const levels: [Path, string, string | undefined][] = isHash(setting)
    ? Object.entries(setting).map(([hook, level]) => [["hooks_output", hook], text(level), hook])
    : Array.isArray(setting)
      ? []
      : [[["hooks_output"], text(setting), undefined]];
  for (const [path, level, hook] of levels) {
    if (HOOKS_OUTPUT_LEVELS.includes(level)) continue;
    add(path, `Invalid hooks_output '${level}'${hook === undefined ? "" : ` for hook '${hook}'`}, must be one of: ${HOOKS_OUTPUT_LEVELS.join(", ")}`);
  }
}

function checkBuilder(builder: unknown, add: AddFinding): void {
  if (!isHash(builder)) return;
  const path = ["builder"];
  if (isHash(builder.cache) && present(builder.cache.type) && !["gha", "registry"].includes(text(builder.cache.type))) {
    add(path, `Invalid cache type: ${text(builder.cache.type)}`, [...path, "cache", "type"]);
  }
  if ("arch" in builder && !present(builder.arch)) add(path, "Builder arch not set", [...path, "arch"]);
  if (present(builder.pack) && Array.isArray(builder.arch) && builder.arch.length > 1) {
    add(path, "buildpacks only support building for one arch", [...path, "pack"]);
  }
  if (builder.local === false && !present(builder.remote)) add(path, "Cannot disable local builds, no remote is set", [...path, "local"]);
}

/** `x-berth`'s values the schema's types let through. */
function checkBerth(berth: unknown, add: AddFinding): void {
  const release = isHash(berth) ? berth.release : undefined;
  if (isHash(release) && typeof release.timeout === "number" && release.timeout < 1) add(["x-berth", "release", "timeout"], "Must be at least 1 second");
}

function checkBoot(boot: unknown, add: AddFinding): void {
  if (!isHash(boot) || boot.limit === undefined || boot.limit === null) return;
  if (!/^\d+%?$/.test(text(boot.limit).trim())) add(["boot", "limit"], "should be a number of hosts or a percentage such as \"25%\"");
}

/** Kamal's Validator::Proxy, for the root proxy, a role's own proxy, an accessory's proxy. */
function checkProxy(proxy: Readonly<Record<string, unknown>>, path: Path, add: AddFinding): void {
  if (!present(proxy.host) && !present(proxy.hosts) && present(proxy.ssl)) add(path, "Must set a host to enable automatic SSL", [...path, "ssl"]);
  if ("host" in proxy && "hosts" in proxy) add(path, "Specify one of 'host' or 'hosts', not both", [...path, "hosts"]);
  if (isHash(proxy.ssl)) {
    if (present(proxy.ssl.certificate_pem) && !present(proxy.ssl.private_key_pem)) {
      add(path, "Missing private_key_pem setting (required when certificate_pem is present)", [...path, "ssl"]);
    }
    if (present(proxy.ssl.private_key_pem) && !present(proxy.ssl.certificate_pem)) {
      add(path, "Missing certificate_pem setting (required when private_key_pem is present)", [...path, "ssl"]);
    }
  }
  const run = proxy.run;
  if (isHash(run)) {
    if (Array.isArray(run.bind_ips)) {
      run.bind_ips.forEach((ip, index) => {
        if (isIP(text(ip).replace(/^\[(.*)\]$/, "$1")) === 0) add([...path, "run", "bind_ips", index], `Invalid publish IP address: ${text(ip)}`);
      });
    }
    if (run.publish === false && (present(run.bind_ips) || present(run.http_port) || present(run.https_port))) {
      add(path, "Cannot set http_port, https_port or bind_ips when publish is false", [...path, "run", "publish"]);
    }
  }
}

/** Compares dotted versions numerically (Gem::Version for plain releases). */
function compareVersions(a: string, b: string): number {
  const parse = (version: string): (number | string)[] =>
    version
      .trim()
      .split(/[.-]/)
      .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const left = parse(a);
  const right = parse(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? 0;
    const y = right[i] ?? 0;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x < y ? -1 : 1;
    // A pre-release segment ("rc1") sorts before a number.
    if (typeof x === "string" && typeof y === "number") return -1;
    if (typeof x === "number" && typeof y === "string") return 1;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

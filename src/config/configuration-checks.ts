// Kamal's checks across sections, on the built model once the structure is sound (roles and
// their hosts, accessories' roles, proxies per host). Messages are Kamal's.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { findingCollector, type Finding } from "./finding.js";
import { deepMerge } from "./merge.js";
import type { Configuration } from "./model/configuration.js";
import type { ProxyRun } from "./model/proxy-run.js";
import { isHash, present, text } from "./model/values.js";
import type { Path } from "./yaml-source-map.js";

export function checkConfiguration(config: Configuration): Finding[] {
  const { findings, add } = findingCollector();
  const raw = config.raw;

  if (config.image === "") add(["image"], "is required");

  if (raw.servers === undefined || raw.servers === null) {
    if (!present(raw.accessories)) add(["servers"], "No servers or accessories specified");
  } else {
    const primary = config.primaryRole;
    if (!primary) {
      add(present(raw.primary_role) ? ["primary_role"] : ["servers"], `The primary_role ${config.primaryRoleName} isn't defined`);
    } else if (primary.hosts.length === 0) {
      add(rolePath(config, primary.name), `No servers specified for the ${primary.name} primary_role`);
    }
    if (!config.allowEmptyRoles) {
      for (const role of config.roles) {
        if (role.hosts.length === 0 && role !== primary) {
          add(rolePath(config, role.name), `No servers specified for the ${role.name} role. You can ignore this with allow_empty_roles: true`);
        }
      }
    }
  }

  for (const accessory of config.accessories) {
    const settings = accessory.raw;
    if (Array.isArray(settings.roles)) {
      const missing = settings.roles.map((role) => text(role)).filter((role) => !config.role(role));
      if (missing.length > 0) add(["accessories", accessory.name, "roles"], `unknown roles ${missing.join(", ")}`);
    } else if (present(settings.role) && !config.role(text(settings.role))) {
      add(["accessories", accessory.name, "role"], `unknown role ${text(settings.role)}`);
    }
  }

  const traefikHooks = ["pre-traefik-reboot", "post-traefik-reboot"].filter((hook) => existsSync(join(config.cwd, config.hooksPath, hook)));
  if (traefikHooks.length > 0) {
    add(present(raw.hooks_path) ? ["hooks_path"] : [], `Found ${traefikHooks.join(", ")}, these should be renamed to (pre|post)-proxy-reboot`);
  }

  for (const role of config.roles) {
    const proxy = role.proxy;
    if (!proxy) continue;
    const proxyPath = isHash(roleSettings(config, role.name)?.proxy) ? [...rolePath(config, role.name), "proxy"] : ["proxy"];
    // Kamal validates the merged proxy again: a role's `hosts` over a root `host` gives both.
    const own = role.specializedProxy?.raw ?? {};
    const merged = deepMerge(config.proxy.raw, own);
    const alreadyReported = ("host" in own && "hosts" in own) || ("host" in config.proxy.raw && "hosts" in config.proxy.raw);
    if ("host" in merged && "hosts" in merged && !alreadyReported) {
      add(proxyPath, "Specify one of 'host' or 'hosts', not both", [...proxyPath, "hosts" in own ? "hosts" : "host"]);
    }
    if (proxy.ssl && role.hosts.length > 1 && !proxy.customCertificate) {
      add(
        proxyPath,
        `SSL is only supported on a single server unless you provide custom certificates, found ${role.hosts.length} servers for role ${role.name}`,
        [...proxyPath, "ssl"],
      );
    }
  }

  const sslHosts = config.roles.filter((role) => role.ssl).flatMap((role) => role.proxy!.hosts);
  const duplicates = [...new Set(sslHosts.filter((host, index) => sslHosts.indexOf(host) !== index))];
  if (duplicates.length > 0) add(["proxy"], `Different roles can't share the same host for SSL: ${duplicates.join(", ")}`);

  if (config.registry.local && present(config.builder.remote) && !/^ssh:\/\//.test(config.builder.remote ?? "")) {
    add(["builder", "remote"], "Local registry with remote builder requires an SSH URL (e.g., ssh://user@host)");
  }

  for (const host of config.allHosts) {
    const runs = proxyRunsWithPaths(config, host);
    const different = runs.find(({ run }) => !run.equals(runs[0]!.run));
    if (different) add(different.path, `Conflicting proxy run configurations for host ${host}`);
  }
  return findings;
}

/** Each `proxy.run` on a host with the path it was written at (a role's own, or the root's). */
function proxyRunsWithPaths(config: Configuration, host: string): { path: Path; run: ProxyRun }[] {
  const runs: { path: Path; run: ProxyRun }[] = [];
  for (const role of config.rolesOn(host)) {
    const run = role.proxy?.run;
    if (!run) continue;
    const own = isHash(role.specializedProxy?.raw.run);
    runs.push({ path: own ? [...rolePath(config, role.name), "proxy", "run"] : ["proxy", "run"], run });
  }
  for (const accessory of config.accessoriesOn(host)) {
    const run = accessory.proxy?.run;
    if (run) runs.push({ path: ["accessories", accessory.name, "proxy", "run"], run });
  }
  return runs;
}

function roleSettings(config: Configuration, name: string): Record<string, unknown> | undefined {
  const servers = config.raw.servers;
  return isHash(servers) && isHash(servers[name]) ? servers[name] : undefined;
}

function rolePath(config: Configuration, name: string): Path {
  return isHash(config.raw.servers) ? ["servers", name] : ["servers"];
}

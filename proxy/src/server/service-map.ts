// Host + path routing table (kamal-proxy's service map): exact host, then a one-level
// `*.` wildcard, then the catch-all; within a host the longest path prefix on a segment
// boundary wins.
import type { Service } from "./service.js";

export interface Route {
  service: Service;
  /** The matched prefix ("/" for root services). */
  prefix: string;
  /** TLS settings come from the root-path service of the same host. */
  tlsEnabled: boolean;
  tlsRedirect: boolean;
}

export class ServiceMap {
  private readonly byHost = new Map<string, Route[]>();

  constructor(services: Iterable<Service>) {
    for (const service of services) {
      const hosts = service.options.hosts.length === 0 ? [""] : service.options.hosts;
      for (const host of hosts) {
        const routes = this.byHost.get(host) ?? [];
        for (const prefix of service.options.pathPrefixes) {
          routes.push({ service, prefix, tlsEnabled: service.options.tlsEnabled, tlsRedirect: service.options.tlsRedirect });
        }
        this.byHost.set(host, routes);
      }
    }
    for (const routes of this.byHost.values()) {
      routes.sort((a, b) => b.prefix.length - a.prefix.length);
      const root = routes.find((route) => route.prefix === "/");
      if (root !== undefined) {
        for (const route of routes) {
          route.tlsEnabled = root.service.options.tlsEnabled;
          route.tlsRedirect = root.service.options.tlsRedirect;
        }
      }
    }
  }

  /** The service owning (host, prefix), if any: deploys may not take another service's pair. */
  owner(host: string, prefix: string): Service | undefined {
    return this.byHost.get(host)?.find((route) => route.prefix === prefix)?.service;
  }

  /** `host` is lower-case without port; `path` is the path without query. */
  lookup(host: string, path: string): Route | null {
    let route = this.match(this.byHost.get(host), path);
    if (route !== null) return route;
    const dot = host.indexOf(".");
    if (dot !== -1) {
      route = this.match(this.byHost.get("*" + host.slice(dot)), path);
      if (route !== null) return route;
    }
    return this.match(this.byHost.get(""), path);
  }

  private match(routes: Route[] | undefined, path: string): Route | null {
    if (routes === undefined) return null;
    for (const route of routes) {
      if (pathMatches(route.prefix, path)) return route;
    }
    return null;
  }
}

export function pathMatches(prefix: string, path: string): boolean {
  if (prefix === "/") return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47;
}

/** The path sent upstream when the prefix is stripped: "/api/users" under "/api" → "/users". */
export function stripPrefix(prefix: string, target: string): string {
  if (prefix === "/") return target;
  const rest = target.slice(prefix.length);
  return rest === "" || rest.charCodeAt(0) !== 47 ? "/" + rest : rest;
}

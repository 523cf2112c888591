// Which hosts and roles a command runs on, from `-h/--hosts`, `-r/--roles` and `-p/--primary`
// (Kamal's Commander#specific_* and Commander::Specifics).
import { BerthError } from "../../util/errors.js";
import type { Accessory } from "./accessory.js";
import type { Role } from "./role.js";

export interface SelectionOptions {
  /** Role names or patterns (`*`, `?`, `[abc]`, `{a,b}`); comma-separated strings are split. */
  readonly roles?: readonly string[] | string;
  /** Host names or patterns. */
  readonly hosts?: readonly string[] | string;
  /** Only the primary host (of the first selected role, when roles are given). */
  readonly primaryOnly?: boolean;
}

/** What a selection is computed from. */
export interface SelectionSource {
  readonly roles: readonly Role[];
  readonly accessories: readonly Accessory[];
  readonly allHosts: readonly string[];
  readonly appHosts: readonly string[];
  readonly proxyHosts: readonly string[];
  readonly primaryHost: string | undefined;
}

export class Selection {
  /** Roles to act on. */
  readonly roles: readonly Role[];
  /** Hosts to act on. */
  readonly hosts: readonly string[];
  readonly primaryRole: Role | undefined;
  readonly primaryHost: string | undefined;

  constructor(
    private readonly source: SelectionSource,
    specificHosts: readonly string[] | undefined,
    specificRoles: readonly Role[] | undefined,
  ) {
    const hostsInScope = specificHosts ?? source.allHosts;
    const roles = (specificRoles ?? source.roles).filter((role) => role.hosts.some((host) => hostsInScope.includes(host)));
    const roleHosts = specificRoles?.flatMap((role) => role.hosts);
    const hosts = roleHosts && roleHosts.length > 0 ? hostsInScope.filter((host) => roleHosts.includes(host)) : [...hostsInScope];
    this.primaryHost = specificHosts?.[0] ?? (specificRoles ? primaryOrFirst(specificRoles)?.primaryHost : undefined) ?? source.primaryHost;
    const primaryHost = this.primaryHost;
    this.primaryRole = primaryOrFirst(roles.filter((role) => primaryHost !== undefined && role.hosts.includes(primaryHost)));
    // Stable sorts: the primary role, and hosts that have it, go first.
    this.roles = stableSortBy(roles, (role) => (role === this.primaryRole ? 0 : 1));
    this.hosts = stableSortBy(hosts, (host) => (this.rolesOn(host).some((role) => role === this.primaryRole) ? 0 : 1));
  }

  /** The selected roles that have this host. */
  rolesOn(host: string): Role[] {
    return this.roles.filter((role) => role.hosts.includes(host));
  }

  /** Selected app hosts, hosts of the primary role first. */
  get appHosts(): string[] {
    const hosts = this.source.appHosts.filter((host) => this.hosts.includes(host));
    return stableSortBy(hosts, (host) => (this.rolesOn(host).some((role) => role === this.primaryRole) ? 0 : 1));
  }

  get proxyHosts(): string[] {
    return this.source.proxyHosts.filter((host) => this.hosts.includes(host));
  }

  get accessoryHosts(): string[] {
    return [...new Set(this.source.accessories.flatMap((accessory) => accessory.hosts))].filter((host) => this.hosts.includes(host));
  }

}

function stableSortBy<T>(items: readonly T[], rank: (item: T) => number): T[] {
  return items
    .map((item, index) => ({ item, index, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ item }) => item);
}

function primaryOrFirst(roles: readonly Role[]): Role | undefined {
  return roles.find((role) => role.primary) ?? roles[0];
}

function splitList(value: readonly string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (typeof value === "string" ? [value] : value).flatMap((item) => item.split(",")).map((item) => item.trim());
  const present = items.filter((item) => item !== "");
  return present.length > 0 ? present : undefined;
}

/** Kamal's Utils.filter_specific_items: matches in filter order, then item order, without repeats. */
function filterSpecificItems<T>(filters: readonly string[], items: readonly T[], nameOf: (item: T) => string): T[] {
  const matches: T[] = [];
  for (const filter of filters) {
    for (const item of items) if (fnmatch(filter, nameOf(item)) && !matches.includes(item)) matches.push(item);
  }
  return matches;
}

export function select(source: SelectionSource, options: SelectionOptions = {}): Selection {
  const roleFilters = splitList(options.roles);
  const hostFilters = splitList(options.hosts);
  let specificRoles: Role[] | undefined;
  let specificHosts: string[] | undefined;

  if (roleFilters) {
    specificRoles = filterSpecificItems(roleFilters, source.roles, (role) => role.name);
    if (specificRoles.length === 0) throw new BerthError(`No --roles match for ${roleFilters.join(",")}`, "ArgumentError");
  }
  if (hostFilters) {
    specificHosts = filterSpecificItems(hostFilters, source.allHosts, (host) => host);
    if (specificHosts.length === 0) throw new BerthError(`No --hosts match for ${hostFilters.join(",")}`, "ArgumentError");
  }
  if (options.primaryOnly) {
    const primary = specificRoles && specificRoles.length > 0 ? specificRoles[0]!.primaryHost : source.primaryHost;
    specificHosts = primary === undefined ? [] : [primary];
  }
  return new Selection(source, specificHosts, specificRoles);
}

// Ruby's File.fnmatch(pattern, name, File::FNM_EXTGLOB) ------------------------------------

const compiled = new Map<string, RegExp>();

export function fnmatch(pattern: string, name: string): boolean {
  let regexp = compiled.get(pattern);
  if (!regexp) {
    const alternatives = expandBraces(pattern).map(globToRegExpSource);
    regexp = new RegExp(`^(?:${alternatives.join("|")})$`, "s");
    compiled.set(pattern, regexp);
  }
  // Without FNM_DOTMATCH a leading dot must be matched literally.
  if (name.startsWith(".") && !expandBraces(pattern).some((alternative) => alternative.startsWith("."))) return false;
  return regexp.test(name);
}

function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      i++;
      continue;
    }
    if (ch === "{") {
      if (depth === 0) open = i;
      depth++;
    } else if (ch === "}" && depth > 0) {
      depth--;
      if (depth === 0) {
        const before = pattern.slice(0, open);
        const after = pattern.slice(i + 1);
        return splitTopLevel(pattern.slice(open + 1, i)).flatMap((option) => expandBraces(before + option + after));
      }
    }
  }
  return [pattern];
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === "\\") {
      current += ch + (body[i + 1] ?? "");
      i++;
      continue;
    }
    if (ch === "{") depth++;
    if (ch === "}") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function globToRegExpSource(glob: string): string {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "\\" && i + 1 < glob.length) {
      source += escapeRegExp(glob[++i]!);
    } else if (ch === "*") {
      source += ".*";
    } else if (ch === "?") {
      source += ".";
    } else if (ch === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close === -1) {
        source += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, close);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replace(/\\/g, "\\\\").replace(/\]/g, "\\]")}]`;
      i = close;
    } else {
      source += escapeRegExp(ch);
    }
  }
  return source;
}

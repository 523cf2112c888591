// Which accessories and hosts a command acts on, the way Kamal's Commander picks them: an
// accessory by name (or `all`), on its hosts narrowed by -h/-p but not by -r (roles are app roles).
import type { Accessory, Registry } from "../config/index.js";
import { registry as registryCommands, type Cmd } from "../commands/index.js";
import { BerthError } from "../util/errors.js";
import type { Run } from "./run.js";

export const ALL = "all";

/** Ruby's Array#to_sentence: "a", "a and b", "a, b, and c". */
export function toSentence(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(", ")}, and ${items.at(-1)}`;
}

/** The accessory called `name`, or Kamal's error naming the ones there are. */
export function accessoryNamed(run: Run, name: string): Accessory {
  const accessory = run.config.accessory(name);
  if (accessory !== undefined) return accessory;
  const names = run.config.accessories.map((item) => item.name);
  throw new BerthError(`No accessory by the name of '${name}'${names.length > 0 ? ` (options: ${toSentence(names)})` : ""}`);
}

/** Every accessory for `all`, else the one named. */
export function accessoriesNamed(run: Run, name: string): Accessory[] {
  return name === ALL ? [...run.config.accessories] : [accessoryNamed(run, name)];
}

/** The hosts -h/-p leave in scope (all hosts without them); -r does not narrow accessories. */
export function hostsInScope(run: Run): string[] {
  const { hosts, primary } = run.globals;
  if (hosts === undefined && !primary) return run.config.allHosts;
  return run.config.hostsFor({ ...(hosts === undefined ? {} : { hosts }), primaryOnly: primary });
}

/** The accessory's hosts that are in scope. */
export function accessoryHosts(run: Run, accessory: Accessory): string[] {
  const scope = new Set(hostsInScope(run));
  return accessory.hosts.filter((host) => scope.has(host));
}

/** Every accessory host in scope (Kamal's `KAMAL.accessory_hosts`). */
export function allAccessoryHosts(run: Run): string[] {
  const scope = new Set(hostsInScope(run));
  return [...new Set(run.config.accessories.flatMap((accessory) => accessory.hosts))].filter((host) => scope.has(host));
}

/** `docker login` for a registry (password on stdin), or null for Kamal's local registry. */
export function loginCommand(registry: Registry): Cmd | null {
  return registry.local ? null : registryCommands.login(registry);
}

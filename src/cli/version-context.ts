// A command context for another app version (`rollback VERSION`): the configuration is loaded
// again with that version, so every name derived from it (containers, image, error pages) follows.
import type { CommandContext } from "../core/context.js";
import { loadConfiguration, type Configuration } from "./layers/config.js";
import type { SecretsLookup } from "../secrets/types.js";
import { BerthError } from "../util/errors.js";

export function contextForVersion(context: CommandContext, version: string): CommandContext {
  let config: Promise<Configuration> | undefined;
  const load = (): Promise<Configuration> =>
    (config ??= loadConfiguration({
      configFile: context.globals.configFile,
      destination: context.globals.destination,
      version,
      cwd: context.cwd,
      env: context.env,
      onSecrets: (values) => context.output.registerSecrets(values),
      ...(context.signal ? { signal: context.signal } : {}),
    }));
  return {
    ...context,
    globals: { ...context.globals, version },
    config: load,
    secrets: async (): Promise<SecretsLookup> => {
      const secrets = (await load()).secrets;
      if (secrets === undefined) throw new BerthError("The configuration provides no secrets");
      await secrets.preload?.(context.signal);
      return secrets;
    },
    onExit: (handler) => context.onExit(handler),
  };
}

/** The configuration for each app version, loaded once per version (`upgrade` boots what each host runs). */
export function versionConfigs(context: CommandContext): (version: string) => Promise<Configuration> {
  const loaded = new Map<string, Promise<Configuration>>();
  return (version) => {
    let config = loaded.get(version);
    if (config === undefined) loaded.set(version, (config = contextForVersion(context, version).config()));
    return config;
  };
}

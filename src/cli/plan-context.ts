// The command context of a plan (`deploy --plan`): the configuration is loaded again under the
// plan's command policy (src/deploy/plan-resolution.ts), which runs no ERB or secrets command unless
// --resolve-commands lets it, and notes each one met.
import type { CommandContext } from "../core/context.js";
import type { PlanResolution } from "../deploy/plan-resolution.js";
import type { SecretsLookup } from "../secrets/types.js";
import { BerthError } from "../util/errors.js";
import { loadConfiguration, type Configuration } from "./layers/config.js";

/** The command's context with the configuration loaded under the plan's command policy. */
export function contextForPlan(context: CommandContext, resolution: PlanResolution): CommandContext {
  let config: Promise<Configuration> | undefined;
  const load = (): Promise<Configuration> =>
    (config ??= loadConfiguration({
      configFile: context.globals.configFile,
      destination: context.globals.destination,
      version: context.globals.version,
      cwd: context.cwd,
      env: context.env,
      onSecrets: (values) => {
        resolution.secretsRead = true;
        context.output.registerSecrets(values);
      },
      commands: resolution.policy,
      ...(context.signal ? { signal: context.signal } : {}),
    }));
  return {
    ...context,
    config: load,
    secrets: async (): Promise<SecretsLookup> => {
      const secrets = (await load()).secrets;
      if (secrets === undefined) throw new BerthError("The configuration provides no secrets");
      await secrets.preload?.(context.signal);
      context.output.registerSecrets(Object.values(secrets.all()));
      return secrets;
    },
    onExit: (handler) => context.onExit(handler),
  };
}

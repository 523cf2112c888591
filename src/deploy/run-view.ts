// A run acting on some hosts only, with another configuration (another version's, say): Kamal's
// `with_specific_hosts` and `using_version`. The view shares the connections, the lock, the
// output and who deploys with its run; what it selects is what `-h <hosts>` would.
import type { GlobalOptions } from "../core/context.js";
import type { Configuration } from "../config/index.js";

/** Run fields that change during the run: the view reads and writes its run's. */
const SHARED_STATE = ["holdingLock", "remoteTransport", "remoteTransportMade", "preConnect", "identityPromise"] as const;

/** `run` is a Run (not imported here: run.ts imports this module). */
export function scopedView<R extends { readonly globals: GlobalOptions }>(run: R, hosts: readonly string[], config: Configuration): R {
  const selection = config.select({ ...(run.globals.roles === undefined ? {} : { roles: run.globals.roles }), hosts });
  const view = Object.create(run) as R;
  const state = run as unknown as Record<string, unknown>;
  const shared = (key: string): PropertyDescriptor => ({ get: () => state[key], set: (value: unknown) => (state[key] = value) });
  Object.defineProperties(view, {
    config: { value: config },
    selection: { value: selection },
    globals: { value: { ...run.globals, hosts: [...hosts] } },
    ...Object.fromEntries(SHARED_STATE.map((key) => [key, shared(key)])),
  });
  return view;
}

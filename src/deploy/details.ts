// `details` (proxy, app and accessory containers), `proxy details` and `audit` (the last 50 lines
// of each host's audit log): read-only, no lock.
import { auditor, proxy as proxyCommands } from "../commands/index.js";
import { showAccessoryDetails } from "./accessory.js";
import { showAppDetails } from "./app.js";
import type { Run } from "./run.js";
import { ALL } from "./scope.js";

/** `docker ps` of the proxy container per proxy host, under `Proxy Host: <host>`. */
export async function showProxyDetails(run: Run): Promise<void> {
  const outputs = await run.on(run.selection.proxyHosts, async (host) => ({ host, text: await run.capture(host, proxyCommands.info()) }));
  for (const { host, text } of outputs) run.output.putsByHost(host, text, { type: "Proxy" });
}

/** Kamal's `details`: `proxy details`, `app details`, `accessory details all`. */
export async function showDetails(run: Run): Promise<void> {
  await showProxyDetails(run);
  await showAppDetails(run);
  await showAccessoryDetails(run, ALL);
}

/** `tail -n 50` of the audit log on every selected host. */
export async function showAudit(run: Run): Promise<void> {
  const outputs = await run.on(run.selection.hosts, async (host) => ({ host, text: await run.capture(host, auditor.reveal(run.config)) }));
  for (const { host, text } of outputs) run.output.putsByHost(host, text);
}

// The image pulled on the app hosts: `build pull`, and a deploy's pull. A deploy learns which image
// each host holds under the tag (host-state.ts): a host that holds the very image just pushed (same
// image ID, a content digest) skips the pull; the others log in, pull and check the `service` label
// in one round trip.
import { auditor, builder as builderCommands } from "../commands/index.js";
import * as dockerApi from "../commands/docker-api.js";
import type { BatchStep } from "../commands/batch.js";
import type { ImageIdentity } from "../commands/builder/hosts.js";
import { besideCarried } from "./beside.js";
import { BuildError } from "./build-error.js";
import { prepareImage, serveImagesTo } from "./image-delivery.js";
import { remoteLoginCommand } from "./login.js";
import type { Run } from "./run.js";

/** The audit line of the pull. */
export async function pullAuditStep(run: Run): Promise<BatchStep> {
  return { command: auditor.record(run.config, await run.tags(), `Pulled image with version ${run.config.version}`), label: "audit" };
}

/** `docker login` on a host (none for a local registry). */
function loginSteps(run: Run): BatchStep[] {
  const login = remoteLoginCommand(run);
  return login === null ? [] : [{ command: login, label: "registry login" }];
}

/**
 * The pull itself and the `service` label check. (Kamal also removes the host's copy of the tag
 * first, `docker image rm --force`; `docker pull` resolves the tag against the registry anyway, so
 * Berth leaves that docker call out.)
 */
function fetchSteps(run: Run): BatchStep[] {
  // Where the host's Docker API is open, the pull goes as its request, with the registry's
  // credentials (the daemon has none of its own), and a stalled registry fails it (transfer.ts).
  const registry = run.config.registry;
  const auth = registry.local ? undefined : dockerApi.registryAuth(registry.username().value, registry.password().value, registry.server);
  return [
    { command: builderCommands.pull(run.config, auth), label: "pull" },
    { command: builderCommands.validateImage(run.config), label: "label check" },
  ];
}

/** `build pull`: login, audit, pull and label check on every selected app host, one round trip per host. */
export async function pullOnHosts(run: Run): Promise<void> {
  await serveImagesTo(run, run.selection.appHosts);
  await prepareImage(run, run.config.absoluteImage);
  const steps = [...loginSteps(run), await pullAuditStep(run), ...fetchSteps(run)];
  await run.on(run.selection.appHosts, (host) => run.batch(host, steps));
}

/**
 * A deploy's pull on one host, which said what it holds under the tag (`present`): a host holding
 * the image just pushed (same image ID, a digest of the image's content) has nothing to pull and
 * needs no registry login; the others log in, pull and check the label. (With a local registry,
 * the deploy opened the host's forward already: serveImagesTo.)
 */
export async function pullUnlessPresent(run: Run, host: string, present: ImageIdentity | undefined, pushedImageId: string | undefined): Promise<void> {
  const config = run.config;
  if (pushedImageId === undefined || present?.id !== pushedImageId) {
    await prepareImage(run, config.absoluteImage);
    // A pull by the Docker API brings its own credentials: the host's `docker login` (kept, as
    // Kamal leaves the host logged in) goes beside it.
    return void (await besideCarried(run, host, loginSteps(run), fetchSteps(run)));
  }
  if (present.service !== config.service) throw new BuildError(`Image ${config.absoluteImage} is missing the 'service' label`);
  run.output.info(`Image ${config.absoluteImage} on ${host} is the image just pushed (${present.id.slice(0, 19)}), not pulling it again`);
}
